import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refusal } from './tool-context.js';
import { ToolError } from '../../../src/agent/tools/tool.js';
import { resolveInWorkspace } from '../../../src/agent/tools/workspace-path.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('resolveInWorkspace', () => {
  let workspace: ReturnType<typeof tempDir>;
  let outside: ReturnType<typeof tempDir>;
  let root: string;

  beforeEach(() => {
    workspace = tempDir('wfhub-workspace-path-');
    outside = tempDir('wfhub-outside-');
    root = realpathSync(workspace.dir);
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src', 'index.ts'), 'export {};\n');
    writeFileSync(path.join(outside.dir, 'secret.txt'), 'secret\n');
  });

  afterEach(() => {
    workspace.cleanup();
    outside.cleanup();
  });

  it('resolves a relative path to its real absolute path and a forward-slash relative path', async () => {
    await expect(resolveInWorkspace(root, 'src/index.ts')).resolves.toEqual({
      absolute: path.join(root, 'src', 'index.ts'),
      relative: 'src/index.ts',
    });
  });

  it('names the root itself "." whether given as ".", "" or "./"', async () => {
    for (const input of ['.', '', './', '  ']) {
      await expect(resolveInWorkspace(root, input)).resolves.toEqual({ absolute: root, relative: '.' });
    }
  });

  it('accepts an absolute path inside the workspace', async () => {
    const result = await resolveInWorkspace(root, path.join(root, 'src', 'index.ts'));
    expect(result.relative).toBe('src/index.ts');
  });

  it('accepts ".." that stays inside the workspace', async () => {
    const result = await resolveInWorkspace(root, 'src/../src/index.ts');
    expect(result.relative).toBe('src/index.ts');
  });

  it('keeps the missing part of a path that does not exist yet', async () => {
    const result = await resolveInWorkspace(root, 'src/new/folder/file.ts');
    expect(result).toEqual({ absolute: path.join(root, 'src', 'new', 'folder', 'file.ts'), relative: 'src/new/folder/file.ts' });
  });

  it('refuses a path that climbs out with ".."', async () => {
    for (const input of ['../x', '..', 'src/../../x', '../../../../etc/passwd']) {
      expect((await refusal(resolveInWorkspace(root, input))).code).toBe('outside_workspace');
    }
  });

  it('refuses an absolute path outside the workspace', async () => {
    const error = await refusal(resolveInWorkspace(root, '/etc/passwd'));
    expect(error.code).toBe('outside_workspace');
    expect(error.message).toContain('relative to the workspace root');
  });

  it('refuses a sibling folder whose name starts with the workspace name', async () => {
    expect((await refusal(resolveInWorkspace(root, `${root}-evil/file.txt`))).code).toBe('outside_workspace');
  });

  it('refuses a symlink that points to a file outside the workspace', async () => {
    symlinkSync(path.join(outside.dir, 'secret.txt'), path.join(root, 'link.txt'));
    expect((await refusal(resolveInWorkspace(root, 'link.txt'))).code).toBe('outside_workspace');
  });

  it('refuses a symlink that points to a folder outside the workspace', async () => {
    symlinkSync(outside.dir, path.join(root, 'escape'));
    expect((await refusal(resolveInWorkspace(root, 'escape'))).code).toBe('outside_workspace');
  });

  it('refuses a path through a symlinked folder that leads outside, existing or not', async () => {
    symlinkSync(outside.dir, path.join(root, 'escape'));
    expect((await refusal(resolveInWorkspace(root, 'escape/secret.txt'))).code).toBe('outside_workspace');
    expect((await refusal(resolveInWorkspace(root, 'escape/new/file.txt'))).code).toBe('outside_workspace');
  });

  it('follows a symlink that stays inside the workspace to its real path', async () => {
    symlinkSync(path.join(root, 'src'), path.join(root, 'alias'));
    await expect(resolveInWorkspace(root, 'alias/index.ts')).resolves.toEqual({
      absolute: path.join(root, 'src', 'index.ts'),
      relative: 'src/index.ts',
    });
  });

  it('resolves a dangling symlink to the link itself, never to its target outside', async () => {
    symlinkSync(path.join(outside.dir, 'not-yet.txt'), path.join(root, 'dangling'));
    const result = await resolveInWorkspace(root, 'dangling');
    expect(result).toEqual({ absolute: path.join(root, 'dangling'), relative: 'dangling' });
  });

  it('refuses a path with a NUL byte as invalid', async () => {
    const error = await refusal(resolveInWorkspace(root, 'src/index.ts\0.png'));
    expect(error.code).toBe('invalid_path');
  });
});
