import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../../workspace/workspace-root.js';
import { ToolError } from './tool.js';

/** A path a tool may touch: checked to lie inside the workspace, symlinks included. */
export interface WorkspacePath {
  /** Absolute, with every existing symlink resolved: the path to operate on. */
  readonly absolute: string;
  /** Relative to the workspace root, forward slashes; `.` for the root itself. What the model is shown. */
  readonly relative: string;
}

/** Resolves the longest existing prefix of `target` for real and appends the rest unchanged. */
async function realpathOfExistingPrefix(target: string): Promise<string> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      return path.join(await realpath(current), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = path.dirname(current);
      if (parent === current) throw error;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

function outside(input: string): never {
  throw new ToolError(
    'outside_workspace',
    `The path "${input}" is outside the workspace. Use a path relative to the workspace root, such as "src/index.ts".`,
    { path: input },
  );
}

/**
 * Resolves `input` (relative to the workspace, or absolute inside it) and refuses anything that
 * leaves the workspace: `..`, an absolute path elsewhere, a symlink pointing out, a NUL byte.
 * `root` must already be a real path.
 */
export async function resolveInWorkspace(root: string, input: string): Promise<WorkspacePath> {
  if (input.includes('\0')) {
    throw new ToolError('invalid_path', 'The path contains a NUL byte. Give a plain file path such as "src/index.ts".', { path: input });
  }
  const given = input.trim() === '' ? '.' : input;
  const lexical = path.resolve(root, given);
  if (!isInside(root, lexical)) outside(input);
  const real = await realpathOfExistingPrefix(lexical);
  if (!isInside(root, real)) outside(input);
  const relative = path.relative(root, real).split(path.sep).join('/');
  return { absolute: real, relative: relative === '' ? '.' : relative };
}
