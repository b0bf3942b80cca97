import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grepTool } from '../../../src/agent/tools/grep-tool.js';
import { defaultIgnoredFolders, runRipgrep } from '../../../src/agent/tools/ripgrep.js';
import { ToolError, type ToolContext } from '../../../src/agent/tools/tool.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { toolContext, refusal } from './tool-context.js';

/** Processes whose command line mentions `marker`: to see that an aborted ripgrep is gone. */
function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while being looked at.
    }
  }
  return found;
}

describe('grep tool', () => {
  let workspace: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof tempDir>;
  let context: ToolContext;

  const file = (relative: string, content: string): void => {
    const absolute = path.join(context.root, relative);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
  };
  const grep = (input: unknown) => grepTool.run(input, context);
  const output = async (input: unknown) => (await grep(input)).output;

  beforeEach(() => {
    workspace = tempDir('wfhub-grep-');
    outside = tempDir('wfhub-outside-');
    context = toolContext(workspace.dir);
    writeFileSync(path.join(outside.dir, 'secret.ts'), 'const needle = "outside secret";\n');
  });

  afterEach(() => {
    workspace.cleanup();
    outside.cleanup();
  });

  describe('output', () => {
    it('groups matching lines by file, sorted by path, as "path:" then "  N: line"', async () => {
      file('src/b.ts', 'one\nneedle here\nthree\nneedle again\n');
      file('src/a.ts', 'needle first\n');
      file('README.md', 'no match\n');
      const result = await grep({ pattern: 'needle' });
      expect(result.output).toBe(
        ['Found 3 matches in 2 files.', 'src/a.ts:\n  1: needle first', 'src/b.ts:\n  2: needle here\n  4: needle again'].join('\n\n'),
      );
      expect(result.metadata).toEqual({ matches: 3, files: 2, truncated: false });
    });

    it('uses singular words for one match in one file', async () => {
      file('a.txt', 'needle\n');
      expect(await output({ pattern: 'needle' })).toBe('Found 1 match in 1 file.\n\na.txt:\n  1: needle');
    });

    it('searches with a regular expression', async () => {
      file('a.ts', 'function parseConfig() {}\nfunction   parseConfig2() {}\nparseConfig();\n');
      expect(await output({ pattern: 'function\\s+parseConfig' })).toBe(
        'Found 2 matches in 1 file.\n\na.ts:\n  1: function parseConfig() {}\n  2: function   parseConfig2() {}',
      );
    });

    it('shows a line without its carriage return', async () => {
      file('a.txt', 'needle\r\nother\r\n');
      expect(await output({ pattern: 'needle' })).toContain('  1: needle');
      expect(await output({ pattern: 'needle' })).not.toContain('\r');
    });

    it('says so when the workspace has no file to search', async () => {
      expect(await output({ pattern: 'needle' })).toBe('No matches for needle.');
    });

    it('says so when nothing matches', async () => {
      file('a.txt', 'hay\n');
      const result = await grep({ pattern: 'needle' });
      expect(result.output).toBe('No matches for needle.');
      expect(result.metadata).toEqual({ matches: 0, files: 0, truncated: false });
      expect(await output({ pattern: 'needle', path: '.', include: '*.ts' })).toBe('No matches for needle (files matching *.ts).');
    });

    it('shows at most 100 matches and says how many more there are', async () => {
      file('a.txt', Array.from({ length: 80 }, (_, index) => `needle ${index + 1}\n`).join(''));
      file('b.txt', Array.from({ length: 70 }, (_, index) => `needle ${index + 1}\n`).join(''));
      const result = await grep({ pattern: 'needle' });
      const lines = result.output.split('\n');
      expect(lines[0]).toBe('Found 150 matches in 2 files; showing the first 100.');
      expect(lines.filter((line) => line.startsWith('  '))).toHaveLength(100);
      expect(result.output).toContain('a.txt:\n  1: needle 1\n');
      expect(result.output).toContain('\n  80: needle 80\n\nb.txt:\n  1: needle 1\n');
      expect(result.output).toContain('\n  20: needle 20\n\n(50 more matches not shown; narrow the pattern, path or include.)');
      expect(result.output.slice(result.output.indexOf('b.txt:'))).not.toContain('  21: needle 21');
      expect(result.metadata).toEqual({ matches: 150, files: 2, truncated: true });
    });

    it('cuts a line over 500 characters', async () => {
      file('min.js', `needle${'x'.repeat(1000)}\n`);
      const shown = (await output({ pattern: 'needle' })).split('\n')[3] ?? '';
      expect(shown).toBe(`  1: needle${'x'.repeat(494)}... (line cut)`);
    });

    it('moves the window of a long line to show a match far along it', async () => {
      file('min.js', `${'x'.repeat(3000)}needle${'y'.repeat(3000)}\n`);
      const shown = (await output({ pattern: 'needle' })).split('\n')[3] ?? '';
      expect(shown).toContain('needle');
      expect(shown.startsWith('  1: ...')).toBe(true);
      expect(shown.endsWith('... (line cut)')).toBe(true);
      expect(shown.length).toBeLessThan(560);
    });
  });

  describe('path and include', () => {
    beforeEach(() => {
      file('src/a.ts', 'needle in a\n');
      file('src/deep/b.tsx', 'needle in b\n');
      file('src/c.js', 'needle in c\n');
      file('test/d.ts', 'needle in d\n');
    });

    it('limits the search to a folder, answering with workspace-relative paths', async () => {
      expect(await output({ pattern: 'needle', path: 'src/deep' })).toBe('Found 1 match in 1 file.\n\nsrc/deep/b.tsx:\n  1: needle in b');
    });

    it('searches a single file given as path', async () => {
      expect(await output({ pattern: 'needle', path: 'src/c.js' })).toBe('Found 1 match in 1 file.\n\nsrc/c.js:\n  1: needle in c');
    });

    it('limits the search to file names matching include, at any depth', async () => {
      const result = await output({ pattern: 'needle', include: '*.ts' });
      expect(result).toContain('src/a.ts:');
      expect(result).toContain('test/d.ts:');
      expect(result).not.toContain('b.tsx');
      expect(result).not.toContain('c.js');
      expect(await output({ pattern: 'needle', include: '*.{ts,tsx}', path: 'src' })).toBe(
        'Found 2 matches in 2 files.\n\nsrc/a.ts:\n  1: needle in a\n\nsrc/deep/b.tsx:\n  1: needle in b',
      );
    });

    it('reads an include with a slash relative to the searched folder', async () => {
      expect(await output({ pattern: 'needle', include: 'deep/*' , path: 'src' })).toBe('Found 1 match in 1 file.\n\nsrc/deep/b.tsx:\n  1: needle in b');
      expect(await output({ pattern: 'needle', include: 'src/*.ts' })).toBe('Found 1 match in 1 file.\n\nsrc/a.ts:\n  1: needle in a');
    });

    it('applies include to a single file given as path', async () => {
      expect(await output({ pattern: 'needle', path: 'src/c.js', include: '*.ts' })).toBe('No matches for needle in src/c.js (files matching *.ts).');
    });

    it('refuses a path that does not exist', async () => {
      expect((await refusal(grep({ pattern: 'needle', path: 'missing' }))).code).toBe('not_found');
    });

    it('refuses a malformed include glob', async () => {
      expect((await refusal(grep({ pattern: 'needle', include: '*.{ts' }))).code).toBe('invalid_pattern');
    });
  });

  describe('ignored files', () => {
    it('skips gitignored files and folders, even when include names them', async () => {
      file('.gitignore', '*.log\nlogs/\n');
      file('app.log', 'needle\n');
      file('logs/today.txt', 'needle\n');
      file('src/keep.txt', 'needle\n');
      expect(await output({ pattern: 'needle' })).toBe('Found 1 match in 1 file.\n\nsrc/keep.txt:\n  1: needle');
      expect(await output({ pattern: 'needle', include: '*.log' })).toBe('No matches for needle (files matching *.log).');
    });

    it.each([...defaultIgnoredFolders])('skips the %s folder by default', async (folder) => {
      file(`${folder}/inner/x.js`, 'needle\n');
      file('src/a.js', 'needle\n');
      expect(await output({ pattern: 'needle' })).toBe('Found 1 match in 1 file.\n\nsrc/a.js:\n  1: needle');
    });

    it('searches hidden files outside the ignored folders', async () => {
      file('.github/workflows/ci.yml', 'run: needle\n');
      file('.env.example', 'NEEDLE=needle\n');
      const result = await output({ pattern: 'needle' });
      expect(result).toContain('.env.example:');
      expect(result).toContain('.github/workflows/ci.yml:');
    });

    it('searches inside a default-ignored folder given as path', async () => {
      file('node_modules/pkg/index.js', 'needle\n');
      expect(await output({ pattern: 'needle', path: 'node_modules/pkg' })).toBe('Found 1 match in 1 file.\n\nnode_modules/pkg/index.js:\n  1: needle');
    });

    it('searches saved outputs when .wfhub-outputs is given as path', async () => {
      file('.wfhub-outputs/.gitignore', '*\n');
      file('.wfhub-outputs/bash-1.txt', 'error: needle\n');
      expect(await output({ pattern: 'needle', path: '.wfhub-outputs' })).toBe(
        'Found 1 match in 1 file.\n\n.wfhub-outputs/bash-1.txt:\n  1: error: needle',
      );
    });

    it('skips binary files', async () => {
      file('data.bin', `needle\0${'x'.repeat(100)}`);
      file('a.txt', 'needle\n');
      expect(await output({ pattern: 'needle' })).toBe('Found 1 match in 1 file.\n\na.txt:\n  1: needle');
    });
  });

  describe('patterns', () => {
    it('refuses an invalid regular expression with ripgrep\'s message', async () => {
      file('a.txt', 'x\n');
      const error = await refusal(grep({ pattern: 'foo(' }));
      expect(error.code).toBe('invalid_pattern');
      expect(error.message).toContain('unclosed group');
      expect(error.message).toContain('escape');
    });

    it('treats a pattern starting with a dash as a pattern, not an option', async () => {
      file('a.txt', 'run --files now\n');
      expect(await output({ pattern: '--files' })).toBe('Found 1 match in 1 file.\n\na.txt:\n  1: run --files now');
    });

    it('runs no shell, so a pattern cannot run commands', async () => {
      file('a.txt', 'x\n');
      expect(await output({ pattern: '$(touch pwned)|`touch pwned2`' })).toContain('No matches');
      expect(existsSync(path.join(context.root, 'pwned'))).toBe(false);
      expect(existsSync(path.join(context.root, 'pwned2'))).toBe(false);
    });
  });

  describe('workspace confinement', () => {
    it('refuses a path that climbs out with "../"', async () => {
      expect((await refusal(grep({ pattern: 'needle', path: '..' }))).code).toBe('outside_workspace');
      expect((await refusal(grep({ pattern: 'needle', path: `../${path.basename(outside.dir)}/secret.ts` }))).code).toBe('outside_workspace');
    });

    it('refuses an absolute path outside the workspace', async () => {
      expect((await refusal(grep({ pattern: 'root', path: '/etc/passwd' }))).code).toBe('outside_workspace');
      expect((await refusal(grep({ pattern: 'needle', path: outside.dir }))).code).toBe('outside_workspace');
    });

    it('accepts an absolute path inside the workspace', async () => {
      file('src/a.ts', 'needle\n');
      expect(await output({ pattern: 'needle', path: path.join(context.root, 'src') })).toBe('Found 1 match in 1 file.\n\nsrc/a.ts:\n  1: needle');
    });

    it('refuses a symlink to an outside folder or file given as path', async () => {
      symlinkSync(outside.dir, path.join(context.root, 'escape'));
      symlinkSync(path.join(outside.dir, 'secret.ts'), path.join(context.root, 'secret-link.ts'));
      expect((await refusal(grep({ pattern: 'needle', path: 'escape' }))).code).toBe('outside_workspace');
      expect((await refusal(grep({ pattern: 'needle', path: 'secret-link.ts' }))).code).toBe('outside_workspace');
    });

    it('refuses a path through a symlinked folder that leads outside', async () => {
      symlinkSync(outside.dir, path.join(context.root, 'escape'));
      expect((await refusal(grep({ pattern: 'needle', path: 'escape/secret.ts' }))).code).toBe('outside_workspace');
    });

    it('does not follow symlinks inside the workspace that lead outside', async () => {
      symlinkSync(outside.dir, path.join(context.root, 'escape'));
      symlinkSync(path.join(outside.dir, 'secret.ts'), path.join(context.root, 'secret-link.ts'));
      file('src/a.ts', 'const needle = 1;\n');
      const result = await output({ pattern: 'needle' });
      expect(result).toBe('Found 1 match in 1 file.\n\nsrc/a.ts:\n  1: const needle = 1;');
      expect(result).not.toContain('outside secret');
    });

    it('refuses a path with a NUL byte', async () => {
      expect((await refusal(grep({ pattern: 'needle', path: 'src\0' }))).code).toBe('invalid_path');
    });
  });

  describe('arguments', () => {
    it.each([
      ['no pattern', {}],
      ['an empty pattern', { pattern: '' }],
      ['a pattern that is not a string', { pattern: 5 }],
      ['an empty include', { pattern: 'x', include: '' }],
      ['a path that is not a string', { pattern: 'x', path: null }],
    ])('refuses %s as invalid arguments', async (_, input) => {
      expect((await refusal(grep(input))).code).toBe('invalid_arguments');
    });
  });

  describe('cancellation', () => {
    it('does not search when the call is already cancelled', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(grepTool.run({ pattern: 'x' }, toolContext(workspace.dir, { signal: controller.signal }))).rejects.toThrow(/abort/i);
    });

    it('kills ripgrep when the signal aborts', async () => {
      // Opening a FIFO blocks until a writer comes, so ripgrep is certainly still running.
      const fifo = path.join(context.root, `blocking-${process.pid}-${Date.now()}.fifo`);
      execFileSync('mkfifo', [fifo]);
      const controller = new AbortController();
      const run = runRipgrep(['--regexp', 'x', '--', fifo], { cwd: context.root, signal: controller.signal, onLine: () => {} });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(processesMentioning(fifo)).not.toEqual([]);
      controller.abort(new Error('stop the search'));
      await expect(run).rejects.toThrow('stop the search');
      for (let attempt = 0; attempt < 50 && processesMentioning(fifo).length > 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(processesMentioning(fifo)).toEqual([]);
    });
  });
});
