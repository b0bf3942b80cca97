import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editTool } from '../../../src/agent/tools/edit-tool.js';
import { ToolError, type ToolContext } from '../../../src/agent/tools/tool.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { toolContext } from './tool-context.js';

let workspace: { dir: string; cleanup: () => void };
let outside: { dir: string; cleanup: () => void };
let context: ToolContext;

beforeEach(() => {
  workspace = tempDir('wfhub-edit-');
  outside = tempDir('wfhub-edit-outside-');
  context = toolContext(workspace.dir);
});

afterEach(() => {
  workspace.cleanup();
  outside.cleanup();
});

function put(relative: string, content: string): void {
  const file = path.join(workspace.dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function read(relative: string): string {
  return readFileSync(path.join(workspace.dir, relative), 'utf8');
}

async function refusal(input: unknown): Promise<ToolError> {
  const error = await editTool.run(input, context).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ToolError)) throw new Error(`expected a ToolError, got ${String(error)}`);
  return error;
}

describe('edit with old_string', () => {
  it('replaces a unique exact match and says how many lines changed', async () => {
    put('src/a.ts', 'const a = 1;\nconst b = 2;\n');
    const result = await editTool.run({ path: 'src/a.ts', old_string: 'const b = 2;', new_string: 'const b = 3;\nconst c = 4;' }, context);
    expect(read('src/a.ts')).toBe('const a = 1;\nconst b = 3;\nconst c = 4;\n');
    expect(result.output).toBe('Edited src/a.ts: replaced 1 line with 2 lines.');
    expect(result.filesChanged).toEqual(['src/a.ts']);
  });

  it('refuses an old_string found several times unless replace_all', async () => {
    put('a.txt', 'x\ny\nx\n');
    const error = await refusal({ path: 'a.txt', old_string: 'x', new_string: 'z' });
    expect(error.code).toBe('multiple_matches');
    expect(error.message).toBe('Found 2 matches of old_string in a.txt; provide more surrounding lines to make it unique, or set replace_all to true to change every one.');
    expect(read('a.txt')).toBe('x\ny\nx\n');

    const result = await editTool.run({ path: 'a.txt', old_string: 'x', new_string: 'z', replace_all: true }, context);
    expect(read('a.txt')).toBe('z\ny\nz\n');
    expect(result.output).toContain('replaced 2 occurrences');
  });

  it('matches lines whose surrounding white space differs when the match is unique', async () => {
    put('a.py', 'def f():\n    x = 1   \n    return x\n');
    const result = await editTool.run({ path: 'a.py', old_string: 'x = 1\nreturn x', new_string: 'x = 2\nreturn x' }, context);
    expect(read('a.py')).toBe('def f():\n    x = 2\n    return x\n');
    expect(result.metadata).toMatchObject({ strategy: 'line-trimmed' });
    expect(result.output).toContain('matched once spaces at the start and end of its lines were ignored');
  });

  it('refuses old_string equal to new_string', async () => {
    put('a.txt', 'x\n');
    const error = await refusal({ path: 'a.txt', old_string: 'x', new_string: 'x' });
    expect(error.code).toBe('invalid_arguments');
    expect(error.message).toContain('new_string: is the same as old_string');
  });

  it('creates a missing file from an empty old_string, folders included', async () => {
    const result = await editTool.run({ path: 'src/new/file.ts', old_string: '', new_string: 'export {};\n' }, context);
    expect(read('src/new/file.ts')).toBe('export {};\n');
    expect(result).toMatchObject({ output: 'Created src/new/file.ts (1 line).', filesChanged: ['src/new/file.ts'] });
  });

  it('refuses an empty old_string on a file with content', async () => {
    put('a.txt', 'keep\n');
    expect((await refusal({ path: 'a.txt', old_string: '', new_string: 'gone' })).code).toBe('file_exists');
    expect(read('a.txt')).toBe('keep\n');
  });

  it('refuses a missing file with not_found and suggests a close name', async () => {
    put('src/app.ts', 'x\n');
    const error = await refusal({ path: 'src/ap.ts', old_string: 'x', new_string: 'y' });
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('Did you mean src/app.ts?');
  });

  it('answers a miss with the closest actual lines', async () => {
    put('a.py', 'def greet(name):\n    print("hello", name)\n    return name\n');
    const error = await refusal({ path: 'a.py', old_string: 'def greet(name):\n    print("hi", name)\n    return name', new_string: 'x' });
    expect(error.code).toBe('no_match');
    expect(error.message).toContain('old_string was not found in a.py.');
    expect(error.message).toContain('Did you mean to match some of these actual lines from a.py?');
    expect(error.message).toContain('    print("hello", name)');
  });

  it('keeps CRLF endings, the file mode and a byte order mark', async () => {
    put('run.sh', '\uFEFFecho one\r\necho two\r\n');
    chmodSync(path.join(workspace.dir, 'run.sh'), 0o755);
    await editTool.run({ path: 'run.sh', old_string: 'echo two\n', new_string: 'echo 2\necho 3\n' }, context);
    expect(readFileSync(path.join(workspace.dir, 'run.sh'))).toEqual(Buffer.from('\uFEFFecho one\r\necho 2\r\necho 3\r\n'));
    expect(statSync(path.join(workspace.dir, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(readdirSync(workspace.dir).filter((name) => name.includes('wfhub-tmp'))).toEqual([]);
  });

  it('refuses binary files', async () => {
    writeFileSync(path.join(workspace.dir, 'image.bin'), Buffer.from([0x89, 0x50, 0x00, 0x01]));
    expect((await refusal({ path: 'image.bin', old_string: 'P', new_string: 'Q' })).code).toBe('binary_file');
  });
});

describe('edit confinement', () => {
  it('refuses a path that climbs out of the workspace', async () => {
    const error = await refusal({ path: '../x.txt', old_string: '', new_string: 'escaped' });
    expect(error.code).toBe('outside_workspace');
    expect(existsSync(path.join(workspace.dir, '..', 'x.txt'))).toBe(false);
  });

  it('refuses an absolute path outside the workspace', async () => {
    const target = path.join(outside.dir, 'secret.txt');
    writeFileSync(target, 'secret\n');
    expect((await refusal({ path: target, old_string: 'secret', new_string: 'owned' })).code).toBe('outside_workspace');
    expect(readFileSync(target, 'utf8')).toBe('secret\n');
  });

  it('refuses a symlink to a file outside the workspace', async () => {
    const target = path.join(outside.dir, 'secret.txt');
    writeFileSync(target, 'secret\n');
    symlinkSync(target, path.join(workspace.dir, 'link.txt'));
    expect((await refusal({ path: 'link.txt', old_string: 'secret', new_string: 'owned' })).code).toBe('outside_workspace');
    expect((await refusal({ blocks: `link.txt\n<<<<<<< SEARCH\nsecret\n=======\nowned\n>>>>>>> REPLACE\n` })).code).toBe('outside_workspace');
    expect(readFileSync(target, 'utf8')).toBe('secret\n');
  });

  it('refuses a NUL byte in the path', async () => {
    expect((await refusal({ path: 'a\0.txt', old_string: '', new_string: 'x' })).code).toBe('invalid_path');
  });

  it('refuses files inside .git', async () => {
    put('.git/config', '[core]\n');
    const error = await refusal({ path: '.git/config', old_string: '[core]', new_string: '[core]\n\thooksPath = /tmp' });
    expect(error.code).toBe('protected_path');
    expect((await refusal({ blocks: `.git/hooks/pre-commit\n<<<<<<< SEARCH\n=======\nevil\n>>>>>>> REPLACE\n` })).code).toBe('protected_path');
    expect(read('.git/config')).toBe('[core]\n');
  });
});

describe('edit with blocks', () => {
  it('applies blocks to several files and creates new ones', async () => {
    put('src/a.ts', 'export const a = 1;\nexport const b = 2;\n');
    put('README.md', '# Project\n');
    const blocks = [
      'src/a.ts',
      '```ts',
      '<<<<<<< SEARCH',
      'export const a = 1;',
      '=======',
      'export const a = 10;',
      '>>>>>>> REPLACE',
      '```',
      '',
      '```ts',
      '<<<<<<< SEARCH',
      'export const b = 2;',
      '=======',
      'export const b = 20;',
      'export const c = 30;',
      '>>>>>>> REPLACE',
      '```',
      '',
      'README.md',
      '<<<<<<< SEARCH',
      '# Project',
      '=======',
      '# wfhub',
      '>>>>>>> REPLACE',
      '',
      'src/new.ts',
      '<<<<<<< SEARCH',
      '=======',
      'export {};',
      '>>>>>>> REPLACE',
    ].join('\n');
    const result = await editTool.run({ blocks }, context);
    expect(read('src/a.ts')).toBe('export const a = 10;\nexport const b = 20;\nexport const c = 30;\n');
    expect(read('README.md')).toBe('# wfhub\n');
    expect(read('src/new.ts')).toBe('export {};\n');
    expect(result.output).toBe(
      [
        'Edited src/a.ts: replaced 1 line with 1 line.',
        'Edited src/a.ts: replaced 1 line with 2 lines.',
        'Edited README.md: replaced 1 line with 1 line.',
        'Created src/new.ts (1 line).',
      ].join('\n'),
    );
    expect(result.filesChanged).toEqual(['src/a.ts', 'README.md', 'src/new.ts']);
  });

  it('keeps the blocks that applied and reports the one that failed', async () => {
    put('a.py', 'one = 1\ntwo = 2\n');
    put('b.py', 'three = 3\n');
    const blocks = [
      'a.py',
      '<<<<<<< SEARCH',
      'one = 1',
      '=======',
      'one = 11',
      '>>>>>>> REPLACE',
      'b.py',
      '<<<<<<< SEARCH',
      'three = 3',
      '=======',
      'three = 33',
      '>>>>>>> REPLACE',
      'a.py',
      '<<<<<<< SEARCH',
      'two = 3',
      '=======',
      'two = 22',
      '>>>>>>> REPLACE',
    ].join('\n');
    const error = await refusal({ blocks });
    expect(error.code).toBe('no_match');
    expect(error.message).toContain('## Block 3: this SEARCH block failed to exactly match lines in a.py');
    expect(error.message).toContain('Did you mean to match some of these actual lines from a.py?');
    expect(error.message).toContain("The other 2 blocks were applied successfully. Don't re-send them.");
    expect(error.details).toMatchObject({ filesChanged: ['a.py', 'b.py'], appliedBlocks: 2, failedBlocks: [3] });
    expect(read('a.py')).toBe('one = 11\ntwo = 2\n');
    expect(read('b.py')).toBe('three = 33\n');
  });

  it('recovers a misspelt or bare file name from the workspace files', async () => {
    put('src/util/helper.ts', 'export const x = 1;\n');
    await editTool.run({ blocks: '**helper.ts**\n<<<<<<< SEARCH\nexport const x = 1;\n=======\nexport const x = 2;\n>>>>>>> REPLACE\n' }, context);
    expect(read('src/util/helper.ts')).toBe('export const x = 2;\n');
  });

  it('uses path for blocks that name no file', async () => {
    put('a.txt', 'old\n');
    await editTool.run({ path: 'a.txt', blocks: '<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n' }, context);
    expect(read('a.txt')).toBe('new\n');
  });

  it('refuses malformed blocks and text without blocks as invalid arguments', async () => {
    const malformed = await refusal({ blocks: 'a.txt\n<<<<<<< SEARCH\nold\nnew\n>>>>>>> REPLACE\n' });
    expect(malformed.code).toBe('invalid_arguments');
    expect(malformed.message).toContain('block 1 (a.txt) is malformed: expected a line `=======`');
    const none = await refusal({ blocks: 'change old to new in a.txt' });
    expect(none.code).toBe('invalid_arguments');
    expect(none.message).toContain('No SEARCH/REPLACE block was found');
    const nameless = await refusal({ blocks: '<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n' });
    expect(nameless.message).toMatch(/^Bad\/missing filename/);
  });

  it('reports a block on a missing file as not_found', async () => {
    const error = await refusal({ blocks: 'nope.txt\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n' });
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('nope.txt does not exist.');
  });
});

describe('edit arguments', () => {
  it('refuses invalid arguments with a message the model can act on', async () => {
    const missing = await refusal({ path: 'a.txt' });
    expect(missing.code).toBe('invalid_arguments');
    expect(missing.message).toContain('old_string: required');
    expect(missing.message).toContain('new_string: required');
    expect((await refusal({})).message).toContain('path: required');
    expect((await refusal({ path: 'a.txt', old_string: 1, new_string: 'x' })).code).toBe('invalid_arguments');
    expect((await refusal({ blocks: 'x', old_string: 'a', new_string: 'b' })).message).toContain('blocks: give either blocks');
  });

  it('describes its parameters to the model as one flat object', () => {
    expect(editTool.jsonSchema).toEqual({
      type: 'object',
      properties: {
        path: expect.objectContaining({ type: 'string' }),
        old_string: expect.objectContaining({ type: 'string' }),
        new_string: expect.objectContaining({ type: 'string' }),
        replace_all: expect.objectContaining({ type: 'boolean' }),
        blocks: expect.objectContaining({ type: 'string' }),
      },
    });
  });
});
