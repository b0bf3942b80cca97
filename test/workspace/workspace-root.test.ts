import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { WorkspaceRoot } from '../../src/workspace/workspace-root.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('workspace root', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
  const setup = () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    return { base: dir, root: new WorkspaceRoot(path.join(dir, 'workspaces')) };
  };

  it('creates the workspaces folder and the workspace, nested or not', async () => {
    const { root } = setup();
    const flat = await root.resolve('poc');
    expect(flat.relative).toBe('poc');
    expect(existsSync(flat.absolute)).toBe(true);
    const nested = await root.resolve('team/app/');
    expect(nested.relative).toBe('team/app');
    expect(existsSync(nested.absolute)).toBe(true);
  });

  it.each(['..', '../x', 'a/../../x', '/etc', '/', '.', '', '   ', 'a\0b'])('refuses %j', async (input) => {
    const { base, root } = setup();
    await expect(root.resolve(input)).rejects.toBeInstanceOf(InvalidInputError);
    expect(existsSync(path.join(base, 'x'))).toBe(false);
  });

  it('refuses a symlink that leaves the workspaces folder, creating nothing outside', async () => {
    const { base, root } = setup();
    mkdirSync(root.dir, { recursive: true });
    mkdirSync(path.join(base, 'elsewhere'));
    symlinkSync(path.join(base, 'elsewhere'), path.join(root.dir, 'escape'));
    await expect(root.resolve('escape')).rejects.toThrow(/symlink|outside/);
    await expect(root.resolve('escape/deeper/still')).rejects.toThrow(/symlink/);
    expect(existsSync(path.join(base, 'elsewhere', 'deeper'))).toBe(false);
  });

  it('accepts a symlink that stays inside', async () => {
    const { root } = setup();
    mkdirSync(path.join(root.dir, 'real'), { recursive: true });
    symlinkSync(path.join(root.dir, 'real'), path.join(root.dir, 'alias'));
    const resolved = await root.resolve('alias');
    expect(resolved.absolute).toBe(path.join(root.dir, 'real'));
  });

  it('refuses a path that is a file', async () => {
    const { root } = setup();
    mkdirSync(root.dir, { recursive: true });
    writeFileSync(path.join(root.dir, 'file.txt'), 'x');
    await expect(root.resolve('file.txt')).rejects.toThrow(/is a file/);
  });
});
