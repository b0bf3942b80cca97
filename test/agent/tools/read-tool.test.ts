import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maxReadBytes, readTool } from '../../../src/agent/tools/read-tool.js';
import { ToolError, type ToolContext } from '../../../src/agent/tools/tool.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { toolContext, refusal } from './tool-context.js';

function numbered(count: number, text = (line: number) => `line ${line}`): string {
  return Array.from({ length: count }, (_, index) => `${text(index + 1)}\n`).join('');
}

describe('read tool', () => {
  let workspace: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof tempDir>;
  let context: ToolContext;

  const file = (relative: string, content: string | Buffer): string => {
    const absolute = path.join(context.root, relative);
    mkdirSync(path.dirname(absolute), { recursive: true });
    writeFileSync(absolute, content);
    return absolute;
  };
  const read = (input: unknown) => readTool.run(input, context);

  beforeEach(() => {
    workspace = tempDir('wfhub-read-');
    outside = tempDir('wfhub-outside-');
    context = toolContext(workspace.dir);
    writeFileSync(path.join(outside.dir, 'secret.txt'), 'top secret\n');
  });

  afterEach(() => {
    workspace.cleanup();
    outside.cleanup();
  });

  it('tells the model never to copy the line-number prefixes into edits', () => {
    expect(readTool.description).toMatch(/never copy it into edits/);
  });

  describe('output', () => {
    it('shows every line numbered "N: text" and says where the file ends', async () => {
      file('src/a.ts', 'const a = 1;\n\n  indented\n');
      const result = await read({ path: 'src/a.ts' });
      expect(result.output).toBe('1: const a = 1;\n2: \n3:   indented\n\n(End of file, 3 lines.)');
      expect(result.metadata).toMatchObject({ path: 'src/a.ts', startLine: 1, endLine: 3, totalLines: 3, truncated: false });
    });

    it('counts a last line that has no newline', async () => {
      file('a.txt', 'one\ntwo');
      expect((await read({ path: 'a.txt' })).output).toBe('1: one\n2: two\n\n(End of file, 2 lines.)');
    });

    it('says "1 line" for a one-line file', async () => {
      file('a.txt', 'only\n');
      expect((await read({ path: 'a.txt' })).output).toBe('1: only\n\n(End of file, 1 line.)');
    });

    it('drops the carriage return of Windows line endings', async () => {
      file('a.txt', 'one\r\ntwo\r\n');
      expect((await read({ path: 'a.txt' })).output).toBe('1: one\n2: two\n\n(End of file, 2 lines.)');
    });

    it('says so when the file is empty', async () => {
      file('empty.txt', '');
      const result = await read({ path: 'empty.txt' });
      expect(result.output).toBe('(empty.txt is empty.)');
      expect(result.metadata).toMatchObject({ totalLines: 0 });
    });

    it('reads non-ASCII text intact', async () => {
      file('u.txt', 'héllo wörld ✓ 日本\n');
      expect((await read({ path: 'u.txt' })).output).toContain('1: héllo wörld ✓ 日本');
    });
  });

  describe('paging', () => {
    it('shows lines from offset up to limit and tells how to continue', async () => {
      file('ten.txt', numbered(10));
      const result = await read({ path: 'ten.txt', offset: 3, limit: 4 });
      expect(result.output).toBe('3: line 3\n4: line 4\n5: line 5\n6: line 6\n\n(Showing lines 3-6 of 10. Use offset=7 to continue.)');
      expect(result.metadata).toMatchObject({ startLine: 3, endLine: 6, totalLines: 10, truncated: true });
    });

    it('ends with the end-of-file footer when the page reaches the last line', async () => {
      file('ten.txt', numbered(10));
      const result = await read({ path: 'ten.txt', offset: 7, limit: 50 });
      expect(result.output).toBe('7: line 7\n8: line 8\n9: line 9\n10: line 10\n\n(End of file, 10 lines.)');
    });

    it('reads 2000 lines by default', async () => {
      file('long.txt', numbered(2500));
      const result = await read({ path: 'long.txt' });
      const lines = result.output.split('\n');
      expect(lines[0]).toBe('1: line 1');
      expect(lines[1999]).toBe('2000: line 2000');
      expect(result.output).not.toContain('2001: ');
      expect(result.output.endsWith('(Showing lines 1-2000 of 2500. Use offset=2001 to continue.)')).toBe(true);
    });

    it('continues from the offset the footer gave', async () => {
      file('long.txt', numbered(2500));
      const result = await read({ path: 'long.txt', offset: 2001 });
      expect(result.output.startsWith('2001: line 2001\n')).toBe(true);
      expect(result.output.endsWith('2500: line 2500\n\n(End of file, 2500 lines.)')).toBe(true);
    });

    it('refuses an offset past the end, saying how many lines there are', async () => {
      file('ten.txt', numbered(10));
      const error = await refusal(read({ path: 'ten.txt', offset: 11 }));
      expect(error.code).toBe('offset_out_of_range');
      expect(error.message).toContain('10 lines');
    });

    it('stops at about 50 KB of output and gives the offset to continue from', async () => {
      file('wide.txt', numbered(1500, (line) => `${line} ${'x'.repeat(100)}`));
      const result = await read({ path: 'wide.txt' });
      expect(Buffer.byteLength(result.output)).toBeLessThan(maxReadBytes + 200);
      expect(Buffer.byteLength(result.output)).toBeGreaterThan(maxReadBytes - 500);
      const match = /\(Showing lines 1-(\d+) of 1500\. Use offset=(\d+) to continue\.\)$/.exec(result.output);
      expect(match).not.toBeNull();
      const last = Number(match?.[1]);
      expect(Number(match?.[2])).toBe(last + 1);
      expect(result.output).toContain(`\n${last}: ${last} x`);
      expect(result.output).not.toContain(`\n${last + 1}: `);
      expect(result.metadata).toMatchObject({ cutBySize: true });
    });

    it('pages through a large file without loss and counts all its lines', async () => {
      file('big.txt', numbered(200_000));
      const result = await read({ path: 'big.txt', offset: 199_999, limit: 5 });
      expect(result.output).toBe('199999: line 199999\n200000: line 200000\n\n(End of file, 200000 lines.)');
    });
  });

  describe('long lines', () => {
    it('cuts a line over 2000 characters and says how much was left out', async () => {
      file('min.js', `${'a'.repeat(2000)}${'b'.repeat(500)}\nshort\n`);
      const result = await read({ path: 'min.js' });
      const [first, second] = result.output.split('\n');
      expect(first).toBe(`1: ${'a'.repeat(2000)}... (line cut: 500 more characters)`);
      expect(second).toBe('2: short');
    });

    it('keeps a line of exactly 2000 characters whole', async () => {
      file('edge.txt', `${'a'.repeat(2000)}\n`);
      expect((await read({ path: 'edge.txt' })).output).toBe(`1: ${'a'.repeat(2000)}\n\n(End of file, 1 line.)`);
    });

    it('cuts a single line of several megabytes without returning it', async () => {
      file('huge.json', `${'{"k":1},'.repeat(600_000)}\n`);
      const result = await read({ path: 'huge.json' });
      expect(result.output.length).toBeLessThan(2200);
      expect(result.output).toContain(`(line cut: ${600_000 * 8 - 2000} more characters)`);
    });
  });

  describe('refusals', () => {
    it('refuses a file with a NUL byte as binary', async () => {
      file('data.bin2', Buffer.from([0x68, 0x69, 0x00, 0x01, 0x02]));
      const error = await refusal(read({ path: 'data.bin2' }));
      expect(error.code).toBe('binary_file');
      expect(error.message).toContain('data.bin2');
    });

    it('refuses a known binary extension even when its bytes look like text', async () => {
      file('logo.PNG', 'not really an image\n');
      expect((await refusal(read({ path: 'logo.PNG' }))).code).toBe('binary_file');
    });

    it('refuses a folder and points to the glob tool', async () => {
      mkdirSync(path.join(context.root, 'src'));
      const error = await refusal(read({ path: 'src' }));
      expect(error.code).toBe('is_directory');
      expect(error.message).toContain('glob');
    });

    it('refuses something that is not a regular file', async () => {
      execFileSync('mkfifo', [path.join(context.root, 'pipe')]);
      expect((await refusal(read({ path: 'pipe' }))).code).toBe('not_a_file');
    });

    it('suggests similar names from the same folder when the file is missing', async () => {
      file('src/UserService.ts', '');
      file('src/user-service.test.ts', '');
      file('src/other.ts', '');
      const error = await refusal(read({ path: 'src/userservice.ts' }));
      expect(error.code).toBe('not_found');
      expect(error.message).toContain('Did you mean src/UserService.ts');
      expect(error.details?.suggestions).toContain('src/UserService.ts');
      expect(error.details?.suggestions).not.toContain('src/other.ts');
    });

    it('suggests a file with the same name but another extension', async () => {
      file('config.json', '{}');
      const error = await refusal(read({ path: 'config.yaml' }));
      expect(error.details?.suggestions).toEqual(['config.json']);
    });

    it('suggests at most three names', async () => {
      for (const name of ['index.js', 'index.ts', 'index.mjs', 'index.cjs', 'index.d.ts']) file(name, '');
      const error = await refusal(read({ path: 'index.tsx' }));
      expect(error.details?.suggestions).toHaveLength(3);
    });

    it('says when the missing file has no folder either', async () => {
      const error = await refusal(read({ path: 'nowhere/missing.ts' }));
      expect(error.code).toBe('not_found');
      expect(error.message).toContain('folder does not exist');
      expect(error.details?.suggestions).toEqual([]);
    });

    it('treats a path through a file as missing', async () => {
      file('a.ts', 'x');
      expect((await refusal(read({ path: 'a.ts/b.ts' }))).code).toBe('not_found');
    });
  });

  describe('workspace confinement', () => {
    it('refuses "../" paths', async () => {
      expect((await refusal(read({ path: '../secret.txt' }))).code).toBe('outside_workspace');
      expect((await refusal(read({ path: `../${path.basename(outside.dir)}/secret.txt` }))).code).toBe('outside_workspace');
    });

    it('refuses an absolute path outside the workspace', async () => {
      expect((await refusal(read({ path: '/etc/passwd' }))).code).toBe('outside_workspace');
      expect((await refusal(read({ path: path.join(outside.dir, 'secret.txt') }))).code).toBe('outside_workspace');
    });

    it('reads an absolute path inside the workspace', async () => {
      file('a.txt', 'inside\n');
      expect((await read({ path: path.join(context.root, 'a.txt') })).output).toContain('1: inside');
    });

    it('refuses a symlink that points to a file outside the workspace', async () => {
      symlinkSync(path.join(outside.dir, 'secret.txt'), path.join(context.root, 'link.txt'));
      const error = await refusal(read({ path: 'link.txt' }));
      expect(error.code).toBe('outside_workspace');
      expect(error.message).not.toContain('top secret');
    });

    it('refuses a path through a symlinked folder that leads outside', async () => {
      symlinkSync(outside.dir, path.join(context.root, 'escape'));
      expect((await refusal(read({ path: 'escape/secret.txt' }))).code).toBe('outside_workspace');
    });

    it('reads through a symlink that stays inside the workspace', async () => {
      file('real/a.txt', 'real\n');
      symlinkSync(path.join(context.root, 'real'), path.join(context.root, 'alias'));
      const result = await read({ path: 'alias/a.txt' });
      expect(result.output).toContain('1: real');
      expect(result.metadata).toMatchObject({ path: 'real/a.txt' });
    });

    it('refuses a path with a NUL byte', async () => {
      file('a.txt', 'x');
      expect((await refusal(read({ path: 'a.txt\0../../etc/passwd' }))).code).toBe('invalid_path');
    });
  });

  describe('arguments', () => {
    it.each([
      ['no path', {}],
      ['an empty path', { path: '' }],
      ['a path that is not a string', { path: 42 }],
      ['offset 0', { path: 'a.txt', offset: 0 }],
      ['a fractional offset', { path: 'a.txt', offset: 1.5 }],
      ['a negative limit', { path: 'a.txt', limit: -1 }],
      ['a limit given as text', { path: 'a.txt', limit: '10' }],
    ])('refuses %s as invalid arguments', async (_, input) => {
      const error = await refusal(read(input));
      expect(error.code).toBe('invalid_arguments');
      expect(error.message).toContain('Rewrite the input');
    });
  });

  it('does not read when the call is already cancelled', async () => {
    file('a.txt', 'x\n');
    const controller = new AbortController();
    controller.abort();
    await expect(readTool.run({ path: 'a.txt' }, toolContext(workspace.dir, { signal: controller.signal }))).rejects.toThrow(/abort/i);
  });

  it('stops reading a large file when cancelled while it runs', async () => {
    file('big.txt', numbered(300_000));
    const controller = new AbortController();
    const reading = readTool.run({ path: 'big.txt' }, toolContext(workspace.dir, { signal: controller.signal }));
    setImmediate(() => controller.abort());
    await expect(reading).rejects.toThrow(/abort/i);
  });
});
