import { existsSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { globTool } from '../../../src/agent/tools/glob-tool.js';
import { compileGlob, defaultIgnoredFolders } from '../../../src/agent/tools/ripgrep.js';
import { ToolError, type ToolContext } from '../../../src/agent/tools/tool.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { toolContext, refusal } from './tool-context.js';

describe('compileGlob', () => {
  it.each([
    ['*.ts', 'a.ts', true],
    ['*.ts', 'src/deep/a.ts', true],
    ['*.ts', '.hidden/a.ts', true],
    ['*.ts', 'a.tsx', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/deep/a.ts', false],
    ['src/*.ts', 'lib/src/a.ts', false],
    ['/a.ts', 'a.ts', true],
    ['/a.ts', 'src/a.ts', false],
    ['./src/*.ts', 'src/a.ts', true],
    ['**/*.ts', 'a.ts', true],
    ['**/*.ts', 'x/y/z.ts', true],
    ['src/**/*.test.ts', 'src/a.test.ts', true],
    ['src/**/*.test.ts', 'src/x/y/a.test.ts', true],
    ['src/**/*.test.ts', 'test/a.test.ts', false],
    ['src/**', 'src/x/y.ts', true],
    ['src/', 'src/x/y.ts', true],
    ['src/', 'lib/src/y.ts', true],
    ['*.{js,jsx}', 'a/b.jsx', true],
    ['*.{js,jsx}', 'a/b.ts', false],
    ['{src,test}/**/*.ts', 'test/a.ts', true],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file10.txt', false],
    ['[abc].md', 'b.md', true],
    ['[!abc].md', 'b.md', false],
    ['[!abc].md', 'd.md', true],
    ['a+b(1).txt', 'a+b(1).txt', true],
    ['a\\*.txt', 'a*.txt', true],
    ['a\\*.txt', 'ab.txt', false],
    ['Makefile', 'sub/Makefile', true],
    ['*.TS', 'a.ts', false],
  ])('%s matching %s is %s', (pattern, candidate, expected) => {
    expect(compileGlob(pattern)(candidate)).toBe(expected);
  });

  it.each(['src/{a,b', '[abc', 'trailing\\'])('refuses the malformed glob %s', (pattern) => {
    expect(() => compileGlob(pattern)).toThrow(ToolError);
  });
});

describe('glob tool', () => {
  let workspace: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof tempDir>;
  let context: ToolContext;
  /** Each new file is one minute newer than the last, so order is deterministic. */
  let clock: number;

  const file = (relative: string, content = '', modified?: number): void => {
    const absolute = path.join(context.root, relative);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
    clock += 60;
    const time = modified ?? clock;
    utimesSync(absolute, time, time);
  };
  const glob = (input: unknown) => globTool.run(input, context);
  const listed = async (input: unknown) => (await glob(input)).output.split('\n');

  beforeEach(() => {
    workspace = tempDir('wfhub-glob-');
    outside = tempDir('wfhub-outside-');
    context = toolContext(workspace.dir);
    clock = 1_700_000_000;
    writeFileSync(path.join(outside.dir, 'secret.ts'), 'export const secret = 1;\n');
  });

  afterEach(() => {
    workspace.cleanup();
    outside.cleanup();
  });

  describe('matching', () => {
    it('matches a pattern without a slash at any depth, hidden folders included', async () => {
      file('top.ts');
      file('src/a.ts');
      file('src/deep/b.ts');
      file('.config/c.ts');
      file('src/readme.md');
      expect((await listed({ pattern: '*.ts' })).sort()).toEqual(['.config/c.ts', 'src/a.ts', 'src/deep/b.ts', 'top.ts']);
    });

    it('anchors a pattern with a slash to the searched folder', async () => {
      file('src/a.ts');
      file('src/deep/b.ts');
      file('lib/src/c.ts');
      expect(await listed({ pattern: 'src/*.ts' })).toEqual(['src/a.ts']);
      expect((await listed({ pattern: 'src/**/*.ts' })).sort()).toEqual(['src/a.ts', 'src/deep/b.ts']);
    });

    it('matches brace alternatives', async () => {
      file('a.js');
      file('b.jsx');
      file('c.ts');
      expect((await listed({ pattern: '*.{js,jsx}' })).sort()).toEqual(['a.js', 'b.jsx']);
    });

    it('searches under path and still answers with workspace-relative paths', async () => {
      file('src/a.ts');
      file('src/deep/b.ts');
      file('other/c.ts');
      expect((await listed({ pattern: '*.ts', path: 'src' })).sort()).toEqual(['src/a.ts', 'src/deep/b.ts']);
      expect(await listed({ pattern: 'deep/*.ts', path: 'src' })).toEqual(['src/deep/b.ts']);
      expect(await listed({ pattern: 'deep/*.ts', path: './src/' })).toEqual(['src/deep/b.ts']);
    });

    it('lists the newest files first', async () => {
      file('old.ts', '', 1_600_000_000);
      file('newest.ts', '', 1_800_000_000);
      file('middle.ts', '', 1_700_000_000);
      expect(await listed({ pattern: '*.ts' })).toEqual(['newest.ts', 'middle.ts', 'old.ts']);
    });

    it('lists at most 100 paths and says how many more there are', async () => {
      for (let index = 0; index < 130; index += 1) file(`many/file-${String(index).padStart(3, '0')}.txt`);
      const result = await glob({ pattern: '*.txt' });
      const lines = result.output.split('\n');
      expect(lines).toHaveLength(102);
      expect(lines[0]).toBe('many/file-129.txt');
      expect(lines[99]).toBe('many/file-030.txt');
      expect(lines[100]).toBe('');
      expect(lines[101]).toBe('(30 more not shown; narrow the pattern)');
      expect(result.metadata).toEqual({ count: 130, truncated: true });
    });

    it('says so when the workspace has no files at all', async () => {
      expect((await glob({ pattern: '*' })).output).toBe('No files match *.');
    });

    it('says so when no file matches', async () => {
      file('a.ts');
      const result = await glob({ pattern: '*.py' });
      expect(result.output).toBe('No files match *.py.');
      expect(result.metadata).toEqual({ count: 0, truncated: false });
      expect((await glob({ pattern: '*.py', path: '.' })).output).toBe('No files match *.py.');
    });

    it('names the folder searched when no file matches under path', async () => {
      file('src/a.ts');
      expect((await glob({ pattern: '*.py', path: 'src' })).output).toBe('No files match *.py in src.');
    });

    it('explains how to list a folder when a plain folder name matches nothing', async () => {
      file('src/a.ts');
      expect((await glob({ pattern: 'src' })).output).toContain('use pattern "**/*" with that folder as path');
    });

    it('treats a pattern starting with a dash as a pattern, not an option', async () => {
      file('-flag.txt');
      expect(await listed({ pattern: '-*.txt' })).toEqual(['-flag.txt']);
    });

    it('refuses a malformed glob', async () => {
      const error = await refusal(glob({ pattern: 'src/{a,b' }));
      expect(error.code).toBe('invalid_pattern');
      expect(error.message).toContain('not closed');
    });
  });

  describe('ignored files', () => {
    it('skips gitignored files and folders, even when the pattern names them', async () => {
      file('.gitignore', '*.log\nlogs/\n');
      file('app.log');
      file('logs/today.txt');
      file('src/keep.txt');
      expect(await listed({ pattern: '*.log' })).toEqual(['No files match *.log.']);
      expect((await listed({ pattern: '*.txt' })).sort()).toEqual(['src/keep.txt']);
    });

    it('honours nested .gitignore files', async () => {
      file('pkg/.gitignore', 'generated.ts\n');
      file('pkg/generated.ts');
      file('pkg/source.ts');
      expect(await listed({ pattern: '*.ts' })).toEqual(['pkg/source.ts']);
    });

    it.each([...defaultIgnoredFolders])('skips the %s folder by default', async (folder) => {
      file(`${folder}/inner/x.ts`);
      file('src/a.ts');
      expect(await listed({ pattern: '*.ts' })).toEqual(['src/a.ts']);
    });

    it('still lists a file that shares a default-ignored folder name', async () => {
      file('build', '#!/bin/sh\n');
      file('scripts/dist');
      expect((await listed({ pattern: '*' })).sort()).toEqual(['build', 'scripts/dist']);
    });

    it('looks inside a default-ignored folder when it is given as path', async () => {
      file('node_modules/pkg/index.js');
      file('src/a.js');
      expect(await listed({ pattern: '*.js', path: 'node_modules/pkg' })).toEqual(['node_modules/pkg/index.js']);
    });

    it('lists saved outputs when .wfhub-outputs is given as path, despite its own ignore file', async () => {
      file('.wfhub-outputs/.gitignore', '*\n');
      file('.wfhub-outputs/bash-1.txt', 'output');
      expect(await listed({ pattern: '*.txt', path: '.wfhub-outputs' })).toEqual(['.wfhub-outputs/bash-1.txt']);
      expect(await listed({ pattern: '*.txt' })).toEqual(['No files match *.txt.']);
    });
  });

  describe('workspace confinement', () => {
    it('refuses a path that climbs out with "../"', async () => {
      expect((await refusal(glob({ pattern: '*', path: '..' }))).code).toBe('outside_workspace');
      expect((await refusal(glob({ pattern: '*', path: `../${path.basename(outside.dir)}` }))).code).toBe('outside_workspace');
    });

    it('refuses an absolute path outside the workspace', async () => {
      expect((await refusal(glob({ pattern: '*', path: '/etc' }))).code).toBe('outside_workspace');
      expect((await refusal(glob({ pattern: '*', path: outside.dir }))).code).toBe('outside_workspace');
    });

    it('accepts an absolute path inside the workspace', async () => {
      file('src/a.ts');
      expect(await listed({ pattern: '*.ts', path: path.join(context.root, 'src') })).toEqual(['src/a.ts']);
    });

    it('refuses a symlink to an outside folder given as path', async () => {
      symlinkSync(outside.dir, path.join(context.root, 'escape'));
      expect((await refusal(glob({ pattern: '*', path: 'escape' }))).code).toBe('outside_workspace');
    });

    it('refuses a path through a symlinked folder that leads outside', async () => {
      mkdirSync(path.join(outside.dir, 'sub'));
      symlinkSync(outside.dir, path.join(context.root, 'escape'));
      expect((await refusal(glob({ pattern: '*', path: 'escape/sub' }))).code).toBe('outside_workspace');
    });

    it('does not follow symlinks inside the workspace that lead outside', async () => {
      symlinkSync(outside.dir, path.join(context.root, 'escape'));
      symlinkSync(path.join(outside.dir, 'secret.ts'), path.join(context.root, 'secret-link.ts'));
      file('src/a.ts');
      expect(await listed({ pattern: '*.ts' })).toEqual(['src/a.ts']);
      expect(await listed({ pattern: '**/*' })).toEqual(['src/a.ts']);
    });

    it('cannot reach outside through the pattern itself', async () => {
      file('src/a.ts');
      expect((await glob({ pattern: '../**/*.ts' })).output).toBe('No files match ../**/*.ts.');
      expect((await glob({ pattern: `${outside.dir}/*.ts` })).output).toContain('No files match');
      expect((await glob({ pattern: '/etc/passwd' })).output).toContain('No files match');
    });

    it('runs no shell, so a pattern cannot run commands', async () => {
      file('a.ts');
      const result = await glob({ pattern: '$(touch pwned).ts' });
      expect(result.output).toContain('No files match');
      expect(existsSync(path.join(context.root, 'pwned'))).toBe(false);
    });

    it('refuses a path with a NUL byte', async () => {
      expect((await refusal(glob({ pattern: '*', path: 'src\0' }))).code).toBe('invalid_path');
    });
  });

  describe('refusals', () => {
    it('refuses a path that does not exist', async () => {
      expect((await refusal(glob({ pattern: '*', path: 'missing' }))).code).toBe('not_found');
    });

    it('refuses a file given as path and points to read', async () => {
      file('a.ts');
      const error = await refusal(glob({ pattern: '*', path: 'a.ts' }));
      expect(error.code).toBe('not_a_directory');
      expect(error.message).toContain('read');
    });

    it.each([
      ['no pattern', {}],
      ['an empty pattern', { pattern: '' }],
      ['a pattern that is not a string', { pattern: ['*.ts'] }],
      ['a path that is not a string', { pattern: '*', path: 3 }],
    ])('refuses %s as invalid arguments', async (_, input) => {
      expect((await refusal(glob(input))).code).toBe('invalid_arguments');
    });

    it('does not list when the call is already cancelled', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(globTool.run({ pattern: '*' }, toolContext(workspace.dir, { signal: controller.signal }))).rejects.toThrow(/abort/i);
    });
  });
});
