import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToolError, type ToolContext } from '../../../src/agent/tools/tool.js';
import { writeTool } from '../../../src/agent/tools/write-tool.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { toolContext, refusal } from './tool-context.js';

/** Every file and folder under `folder`, relative, so a test can see nothing stray was left. */
function listAll(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort();
}

describe('write tool', () => {
  let workspace: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof tempDir>;
  let context: ToolContext;

  const write = (input: unknown) => writeTool.run(input, context);
  const inWorkspace = (relative: string) => path.join(context.root, relative);

  beforeEach(() => {
    workspace = tempDir('wfhub-write-');
    outside = tempDir('wfhub-outside-');
    context = toolContext(workspace.dir);
    writeFileSync(path.join(outside.dir, 'secret.txt'), 'top secret\n');
  });

  afterEach(() => {
    workspace.cleanup();
    outside.cleanup();
  });

  describe('writing', () => {
    it('creates a file and its folders and reports it as changed', async () => {
      const result = await write({ path: 'src/deep/new.ts', content: 'export const a = 1;\nexport const b = 2;\n' });
      expect(result.output).toBe('Created src/deep/new.ts (2 lines)');
      expect(result.filesChanged).toEqual(['src/deep/new.ts']);
      expect(result.metadata).toMatchObject({ path: 'src/deep/new.ts', created: true, lines: 2 });
      expect(readFileSync(inWorkspace('src/deep/new.ts'), 'utf8')).toBe('export const a = 1;\nexport const b = 2;\n');
    });

    it('overwrites an existing file whole', async () => {
      writeFileSync(inWorkspace('a.txt'), 'old content that is longer\nand has two lines\n');
      const result = await write({ path: 'a.txt', content: 'new\n' });
      expect(result.output).toBe('Overwrote a.txt (1 line)');
      expect(result.metadata).toMatchObject({ created: false });
      expect(readFileSync(inWorkspace('a.txt'), 'utf8')).toBe('new\n');
    });

    it.each([
      ['', 0],
      ['a', 1],
      ['a\n', 1],
      ['a\nb', 2],
      ['\n\n', 2],
    ])('counts %j as %i lines', async (content, lines) => {
      const result = await write({ path: 'count.txt', content });
      expect(result.metadata).toMatchObject({ lines });
      expect(readFileSync(inWorkspace('count.txt'), 'utf8')).toBe(content);
    });

    it('keeps the mode of a file it overwrites', async () => {
      writeFileSync(inWorkspace('run.sh'), '#!/bin/sh\necho old\n');
      chmodSync(inWorkspace('run.sh'), 0o755);
      await write({ path: 'run.sh', content: '#!/bin/sh\necho new\n' });
      expect(statSync(inWorkspace('run.sh')).mode & 0o777).toBe(0o755);
    });

    it('leaves no temporary file behind', async () => {
      await write({ path: 'a.txt', content: 'one' });
      await write({ path: 'a.txt', content: 'two' });
      expect(listAll(context.root)).toEqual(['a.txt']);
    });

    it('writes the target of a symlink that stays inside the workspace and keeps the link', async () => {
      writeFileSync(inWorkspace('real.txt'), 'old\n');
      symlinkSync(inWorkspace('real.txt'), inWorkspace('alias.txt'));
      const result = await write({ path: 'alias.txt', content: 'new\n' });
      expect(result.filesChanged).toEqual(['real.txt']);
      expect(readFileSync(inWorkspace('real.txt'), 'utf8')).toBe('new\n');
      expect(lstatSync(inWorkspace('alias.txt')).isSymbolicLink()).toBe(true);
    });

    it('writes a file whose name starts with .git but is not inside .git', async () => {
      await write({ path: '.gitignore', content: 'node_modules/\n' });
      await write({ path: '.github/workflows/ci.yml', content: 'on: push\n' });
      expect(readFileSync(inWorkspace('.gitignore'), 'utf8')).toBe('node_modules/\n');
    });
  });

  describe('refusals', () => {
    it('refuses to write over a folder', async () => {
      mkdirSync(inWorkspace('src'));
      const error = await refusal(write({ path: 'src', content: 'x' }));
      expect(error.code).toBe('is_directory');
      expect(statSync(inWorkspace('src')).isDirectory()).toBe(true);
    });

    it('refuses to write over the workspace root', async () => {
      expect((await refusal(write({ path: '.', content: 'x' }))).code).toBe('is_directory');
    });

    it.each(['.git/config', '.git/hooks/pre-commit', 'vendor/lib/.git/HEAD', './.git/new-file'])('refuses to write %s inside .git', async (target) => {
      mkdirSync(inWorkspace('.git'));
      writeFileSync(inWorkspace('.git/config'), '[core]\n');
      const error = await refusal(write({ path: target, content: 'x' }));
      expect(error.code).toBe('protected_path');
      expect(readFileSync(inWorkspace('.git/config'), 'utf8')).toBe('[core]\n');
      expect(existsSync(inWorkspace('.git/hooks'))).toBe(false);
    });

    it('refuses to write into .git through a symlink to it', async () => {
      mkdirSync(inWorkspace('.git'));
      symlinkSync(inWorkspace('.git'), inWorkspace('gitdata'));
      expect((await refusal(write({ path: 'gitdata/hooks/post-checkout', content: 'x' }))).code).toBe('protected_path');
      expect(existsSync(inWorkspace('.git/hooks'))).toBe(false);
    });

    it('refuses a path whose folder is a file', async () => {
      writeFileSync(inWorkspace('a.txt'), 'x');
      expect((await refusal(write({ path: 'a.txt/b.txt', content: 'x' }))).code).toBe('invalid_path');
    });

    it('refuses to write over a pipe', async () => {
      execFileSync('mkfifo', [inWorkspace('pipe')]);
      expect((await refusal(write({ path: 'pipe', content: 'x' }))).code).toBe('not_a_file');
    });
  });

  describe('workspace confinement', () => {
    it('refuses "../" paths and creates nothing outside', async () => {
      const escape = `../${path.basename(outside.dir)}/planted.txt`;
      expect((await refusal(write({ path: escape, content: 'x' }))).code).toBe('outside_workspace');
      expect((await refusal(write({ path: '../planted.txt', content: 'x' }))).code).toBe('outside_workspace');
      expect(listAll(outside.dir)).toEqual(['secret.txt']);
      expect(existsSync(path.join(path.dirname(context.root), 'planted.txt'))).toBe(false);
    });

    it('refuses an absolute path outside the workspace', async () => {
      expect((await refusal(write({ path: path.join(outside.dir, 'planted.txt'), content: 'x' }))).code).toBe('outside_workspace');
      expect((await refusal(write({ path: '/etc/passwd', content: 'x' }))).code).toBe('outside_workspace');
      expect(listAll(outside.dir)).toEqual(['secret.txt']);
    });

    it('writes an absolute path inside the workspace', async () => {
      const result = await write({ path: inWorkspace('abs.txt'), content: 'x' });
      expect(result.filesChanged).toEqual(['abs.txt']);
      expect(readFileSync(inWorkspace('abs.txt'), 'utf8')).toBe('x');
    });

    it('refuses a symlink that points to a file outside and leaves that file alone', async () => {
      symlinkSync(path.join(outside.dir, 'secret.txt'), inWorkspace('link.txt'));
      expect((await refusal(write({ path: 'link.txt', content: 'overwritten' }))).code).toBe('outside_workspace');
      expect(readFileSync(path.join(outside.dir, 'secret.txt'), 'utf8')).toBe('top secret\n');
    });

    it('refuses a path through a symlinked folder that leads outside', async () => {
      symlinkSync(outside.dir, inWorkspace('escape'));
      expect((await refusal(write({ path: 'escape/planted.txt', content: 'x' }))).code).toBe('outside_workspace');
      expect((await refusal(write({ path: 'escape/new/planted.txt', content: 'x' }))).code).toBe('outside_workspace');
      expect(listAll(outside.dir)).toEqual(['secret.txt']);
    });

    it('never writes through a dangling symlink to a file outside', async () => {
      const target = path.join(outside.dir, 'planted.txt');
      symlinkSync(target, inWorkspace('dangling.txt'));
      const result = await write({ path: 'dangling.txt', content: 'x' });
      expect(existsSync(target)).toBe(false);
      expect(result.filesChanged).toEqual(['dangling.txt']);
      expect(lstatSync(inWorkspace('dangling.txt')).isFile()).toBe(true);
    });

    it('never creates folders through a dangling symlink to a folder outside', async () => {
      const target = path.join(outside.dir, 'newdir');
      symlinkSync(target, inWorkspace('dangling'));
      expect((await refusal(write({ path: 'dangling/planted.txt', content: 'x' }))).code).toBe('invalid_path');
      expect(existsSync(target)).toBe(false);
    });

    it('refuses a path with a NUL byte', async () => {
      expect((await refusal(write({ path: 'a.txt\0.sh', content: 'x' }))).code).toBe('invalid_path');
      expect(listAll(context.root)).toEqual([]);
    });
  });

  describe('arguments', () => {
    it.each([
      ['no content', { path: 'a.txt' }],
      ['content that is not a string', { path: 'a.txt', content: 12 }],
      ['no path', { content: 'x' }],
      ['an empty path', { path: '', content: 'x' }],
    ])('refuses %s as invalid arguments', async (_, input) => {
      const error = await refusal(write(input));
      expect(error.code).toBe('invalid_arguments');
      expect(error.message).toContain('write tool');
      expect(listAll(context.root)).toEqual([]);
    });
  });

  it('writes nothing when the call is already cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(writeTool.run({ path: 'a.txt', content: 'x' }, toolContext(workspace.dir, { signal: controller.signal }))).rejects.toThrow(/abort/i);
    expect(listAll(context.root)).toEqual([]);
  });
});
