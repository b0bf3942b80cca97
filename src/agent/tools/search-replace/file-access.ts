import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../../../workspace/workspace-root.js';
import { ToolError } from '../tool.js';
import { resolveInWorkspace, type WorkspacePath } from '../workspace-path.js';

/** Larger files are refused: an edit reads and rewrites the whole file in memory. */
export const maxEditableBytes = 10 * 1024 * 1024;

/** A text file as read for editing. */
export interface EditableFile {
  /** The text, without a UTF-8 byte order mark. */
  readonly content: string;
  /** The file started with a UTF-8 byte order mark, which is written back. */
  readonly byteOrderMark: boolean;
  /** Permission bits, kept when the file is rewritten. */
  readonly mode: number;
}

/** Git's own data: an edit there can corrupt the repository or plant a hook that runs later. */
function isProtected(relative: string): boolean {
  return relative.split('/').some((segment) => segment.toLowerCase() === '.git');
}

/**
 * Resolves a path the edit tool may change: inside the workspace (see resolveInWorkspace), a file
 * rather than the root, and outside `.git`, whether named directly or reached through a symlink.
 */
export async function resolveEditablePath(root: string, input: string): Promise<WorkspacePath> {
  const target = await resolveInWorkspace(root, input);
  const lexical = path.relative(root, path.resolve(root, input)).split(path.sep).join('/');
  if (isProtected(lexical) || isProtected(target.relative)) {
    throw new ToolError('protected_path', `${target.relative} is inside .git, which is git's own data and cannot be edited. Change the files of the project instead.`, {
      path: target.relative,
    });
  }
  if (target.relative === '.') {
    throw new ToolError('is_directory', 'The path is the workspace folder itself. Give the path of a file, e.g. "src/index.ts".', { path: input });
  }
  return target;
}

/** Reads a file to edit; undefined when it does not exist. Folders, binary and huge files are refused. */
export async function readEditableFile(target: WorkspacePath): Promise<EditableFile | undefined> {
  const stats = await stat(target.absolute).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (!stats) return undefined;
  if (stats.isDirectory()) {
    throw new ToolError('is_directory', `${target.relative} is a folder. Give the path of a file inside it.`, { path: target.relative });
  }
  if (!stats.isFile()) {
    throw new ToolError('not_a_file', `${target.relative} is not a regular file (a pipe, socket or device) and cannot be edited.`, { path: target.relative });
  }
  if (stats.size > maxEditableBytes) {
    throw new ToolError('file_too_large', `${target.relative} is ${Math.round(stats.size / 1024 / 1024)} MB; files over ${maxEditableBytes / 1024 / 1024} MB cannot be edited.`, {
      path: target.relative,
    });
  }
  const bytes = await readFile(target.absolute);
  const binary = () =>
    new ToolError('binary_file', `${target.relative} is not a UTF-8 text file and cannot be edited as text.`, { path: target.relative });
  if (bytes.includes(0)) throw binary();
  const byteOrderMark = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  let content: string;
  try {
    content = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(byteOrderMark ? bytes.subarray(3) : bytes);
  } catch {
    throw binary();
  }
  return { content, byteOrderMark, mode: stats.mode & 0o7777 };
}

/**
 * Writes through a temporary file in the same folder renamed over the target, so a reader (or a
 * crash) never sees half a file; the previous permission bits are kept. Missing folders are
 * created, and the folder finally written in is checked to still lie inside the workspace.
 */
export async function writeFileAtomically(root: string, target: WorkspacePath, content: string, previous: EditableFile | undefined): Promise<void> {
  const folder = path.dirname(target.absolute);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new ToolError('invalid_path', `A folder on the way to ${target.relative} exists as a file. Choose another path.`, { path: target.relative });
    }
    throw error;
  }
  const settled = await resolveInWorkspace(root, path.relative(root, folder) || '.');
  if (settled.absolute !== folder) {
    throw new ToolError('outside_workspace', `The path "${target.relative}" is outside the workspace.`, { path: target.relative });
  }

  const temporary = path.join(folder, `.${path.basename(target.absolute)}.${randomBytes(6).toString('hex')}.wfhub-tmp`);
  const text = previous?.byteOrderMark ? `\uFEFF${content}` : content;
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    // writeFile's mode is narrowed by the umask; an explicit chmod keeps e.g. a script executable.
    if (previous) await chmod(temporary, previous.mode);
    await rename(temporary, target.absolute);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Folders never listed: dependencies, build output, caches, version control. */
const skippedFolders = new Set([
  '.git', '.hg', '.svn', 'node_modules', 'dist', 'build', 'out', 'target', 'coverage', '.next', '.nuxt',
  '.venv', 'venv', '__pycache__', '.mypy_cache', '.pytest_cache', '.tox', '.gradle', '.idea', '.cache', '.wfhub-outputs',
]);

/**
 * Workspace-relative paths (forward slashes) of the files in the workspace, breadth first, at
 * most `limit`: cheap enough to run on every edit, used only to recover misspelt file names.
 * Symlinked folders are not followed.
 */
export async function listWorkspaceFiles(root: string, limit = 10_000): Promise<string[]> {
  const files: string[] = [];
  const queue: string[] = [''];
  for (let folder = queue.shift(); folder !== undefined && files.length < limit; folder = queue.shift()) {
    const entries = await readdir(path.join(root, folder), { withFileTypes: true }).catch(() => []);
    entries.sort((first, second) => first.name.localeCompare(second.name));
    for (const entry of entries) {
      const relative = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!skippedFolders.has(entry.name)) queue.push(relative);
      } else if (files.length < limit) {
        files.push(relative);
      }
    }
  }
  return files;
}

/** Whether a workspace-relative path is an existing file inside the workspace (lexically). */
export function isWorkspaceFile(root: string, relative: string): boolean {
  const absolute = path.resolve(root, relative);
  if (relative.includes('\0') || !isInside(root, absolute)) return false;
  try {
    return statSync(absolute).isFile();
  } catch {
    return false;
  }
}
