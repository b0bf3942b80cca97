import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineTool, ToolError } from './tool.js';
import { resolveInWorkspace } from './workspace-path.js';

const description = `Writes a whole file in the workspace: creates it (and its folders) or replaces everything in it with \`content\`.
- For a small change to an existing file, prefer the edit tool; when you do rewrite a file, give its complete new content, never a part or a placeholder such as "rest unchanged".
- \`content\` is the exact file text: no line numbers, no "N: " prefixes from the read tool.
- Files inside .git cannot be written.`;

const parameters = z.object({
  path: z.string().min(1, 'give the file to write, e.g. "src/index.ts"').describe('File to write, relative to the workspace root, e.g. "src/index.ts".'),
  content: z.string().describe('The complete content of the file.'),
});

/** Lines as an editor counts them: a final newline ends the last line rather than starting one. */
function countLines(content: string): number {
  if (content === '') return 0;
  const newlines = content.split('\n').length - 1;
  return content.endsWith('\n') ? newlines : newlines + 1;
}

/** Git's own data: a write there can corrupt the repository or plant a hook that runs later. */
function isProtected(relative: string): boolean {
  return relative.split('/').includes('.git');
}

function protectedPath(relative: string): never {
  throw new ToolError('protected_path', `${relative} is inside .git, which is git's own data and cannot be written. Change the files of the project instead.`, {
    path: relative,
  });
}

async function existing(file: string): Promise<Stats | undefined> {
  return stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'ENOTDIR') {
      throw new ToolError('invalid_path', 'A folder in this path is a file. Choose a path whose folders are folders.');
    }
    throw error;
  });
}

/**
 * `write {path, content}`: writes a whole file inside the workspace, never into `.git`. The text
 * goes to a temporary file in the same folder that is then renamed over the target, so a reader
 * (or a crash) never sees half a file, and a symlink at the target is replaced rather than
 * written through.
 */
export const writeTool = defineTool('write', {
  description,
  brief: 'Writes a whole file (creating it and its folders), replacing what was there.',
  parameters,
  async execute(input, context) {
    const target = await resolveInWorkspace(context.root, input.path);
    // Both spellings: the path as given, and where its symlinks lead.
    const lexical = path.relative(context.root, path.resolve(context.root, input.path)).split(path.sep).join('/');
    if (isProtected(lexical) || isProtected(target.relative)) protectedPath(target.relative);

    const before = await existing(target.absolute);
    if (target.relative === '.' || before?.isDirectory()) {
      throw new ToolError('is_directory', `${target.relative} is a folder. Give the path of a file inside it, e.g. "${target.relative === '.' ? '' : `${target.relative}/`}notes.md".`, {
        path: target.relative,
      });
    }
    if (before && !before.isFile()) {
      throw new ToolError('not_a_file', `${target.relative} is not a regular file (a pipe, socket or device) and cannot be written.`, { path: target.relative });
    }

    const folder = path.dirname(target.absolute);
    try {
      await mkdir(folder, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // EEXIST/ENOTDIR: a file is in the way; ENOENT: a dangling symlink is (mkdir never follows it).
      if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'ENOENT') {
        throw new ToolError('invalid_path', `A folder on the way to ${target.relative} exists as a file or a broken link. Choose another path.`, { path: target.relative });
      }
      throw error;
    }
    // The folders may have been created through links made after the first check; the folder
    // actually written in must still be inside the workspace.
    const settled = await resolveInWorkspace(context.root, path.relative(context.root, folder) || '.');
    if (settled.absolute !== folder) {
      throw new ToolError('invalid_path', `The folders of ${target.relative} changed while it was being written (a symlink appeared). Try again.`, {
        path: target.relative,
      });
    }

    const temporary = path.join(folder, `.${path.basename(target.absolute)}.${randomBytes(6).toString('hex')}.wfhub-tmp`);
    try {
      await writeFile(temporary, input.content, { flag: 'wx', signal: context.signal });
      // writeFile's mode is narrowed by the umask; an explicit chmod keeps e.g. a script executable.
      if (before) await chmod(temporary, before.mode & 0o7777);
      context.signal.throwIfAborted();
      await rename(temporary, target.absolute);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }

    const lines = countLines(input.content);
    const verb = before ? 'Overwrote' : 'Created';
    return {
      output: `${verb} ${target.relative} (${lines} line${lines === 1 ? '' : 's'})`,
      filesChanged: [target.relative],
      metadata: { path: target.relative, created: !before, lines, bytes: Buffer.byteLength(input.content) },
    };
  },
});
