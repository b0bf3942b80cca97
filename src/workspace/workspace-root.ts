import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, realpath, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, NotFoundError } from '../core/errors.js';

export interface ResolvedWorkspace {
  /** Relative to the workspaces dir, symlinks resolved, with forward slashes: what is stored. */
  relative: string;
  /** The real absolute folder. */
  absolute: string;
  /** The folder did not exist and was created by this call. */
  created: boolean;
}

/** The file holding the workspaces dir's id. */
const identityFile = '.wfhub-workspaces.json';

/** File-system refusals that are about the path asked for, not about wfhub. */
const fileSystemReasons: Record<string, string> = {
  EEXIST: 'it is a file, not a folder',
  ENOTDIR: 'part of it is a file, not a folder',
  ENAMETOOLONG: 'a folder name in it is too long for the file system (255 bytes at most)',
  ELOOP: 'it goes through a symlink loop',
  EACCES: 'wfhub is not allowed to create or read that folder',
  EPERM: 'wfhub is not allowed to create or read that folder',
  EROFS: 'the file system there is read-only',
};

function refuse(message: string, given: string): never {
  throw new InvalidInputError('invalid_workspace_path', message, { workspace_path: given });
}

/** True when `child` is `parent` itself or lies inside it. Both must be absolute and normalised. */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

async function isFolder(target: string): Promise<boolean> {
  try {
    return (await stat(target)).isDirectory();
  } catch {
    return false;
  }
}

async function deepestExisting(target: string): Promise<string> {
  let current = target;
  for (;;) {
    try {
      return await realpath(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const parent = path.dirname(current);
      if (parent === current) throw error;
      current = parent;
    }
  }
}

/**
 * The folder that holds every project's workspace. A project's `workspace_path` names a folder
 * inside it; nothing may point outside, whether by `..`, an absolute path or a symlink.
 */
export class WorkspaceRoot {
  private identity: Promise<string> | undefined;

  constructor(readonly dir: string) {}

  /**
   * The workspaces dir's own id, kept in a file inside it: processes that see the same folder
   * (one machine, or a shared volume) share it, so runs of a project that lives only in this
   * folder go to the workers that can see it.
   */
  id(): Promise<string> {
    this.identity ??= (async () => {
      const file = path.join(this.dir, identityFile);
      try {
        const stored = (JSON.parse(await readFile(file, 'utf8')) as { id?: unknown }).id;
        if (typeof stored === 'string' && /^[0-9a-f-]{36}$/.test(stored)) return stored;
      } catch {
        // missing or unreadable: made below
      }
      await mkdir(this.dir, { recursive: true });
      // Written aside and linked into place, which fails if the file is there: two processes
      // starting at once agree on the first one's id.
      const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
      await writeFile(temporary, `${JSON.stringify({ id: randomUUID() })}\n`);
      try {
        await link(temporary, file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
      } finally {
        await unlink(temporary).catch(() => undefined);
      }
      return (JSON.parse(await readFile(file, 'utf8')) as { id: string }).id;
    })();
    this.identity.catch(() => (this.identity = undefined));
    return this.identity;
  }

  /** Checks `input`, creates the folder when missing, and returns where it is. */
  async resolve(input: string): Promise<ResolvedWorkspace> {
    return this.resolveOrLocate(input, true);
  }

  /** Checks `input` like `resolve`, but the folder must exist already (NotFoundError otherwise). */
  async locate(input: string): Promise<ResolvedWorkspace> {
    return this.resolveOrLocate(input, false);
  }

  private async resolveOrLocate(input: string, create: boolean): Promise<ResolvedWorkspace> {
    try {
      return await this.resolveChecked(input, create);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code ? fileSystemReasons[code] : undefined;
      if (reason) refuse(`workspace_path "${input}" cannot be used: ${reason}.`, input);
      throw error;
    }
  }

  private async resolveChecked(input: string, create: boolean): Promise<ResolvedWorkspace> {
    const trimmed = input.trim();
    if (trimmed === '') refuse('workspace_path is empty: name a folder such as "poc".', input);
    if (trimmed.includes('\0')) refuse('workspace_path contains a NUL byte.', input);

    await mkdir(this.dir, { recursive: true });
    const root = await realpath(this.dir);
    const lexical = path.resolve(this.dir, trimmed);
    if (!isInside(path.resolve(this.dir), lexical)) {
      refuse(
        `workspace_path "${input}" points outside the workspaces folder (${this.dir}). ` +
          'Give a folder name inside it, such as "poc".',
        input,
      );
    }
    const relative = path.relative(path.resolve(this.dir), lexical);
    if (relative === '') {
      refuse('workspace_path names the workspaces folder itself: name a folder inside it, such as "poc".', input);
    }

    // Checked before anything is created, so a refusal leaves no folder behind.
    if (relative.split(path.sep).some((segment) => Buffer.byteLength(segment) > 255)) {
      refuse(`workspace_path "${input}" has a folder name longer than 255 bytes, which file systems refuse.`, input);
    }

    // Follow symlinks on the part that exists before creating anything, so a link that points
    // outside cannot make us create folders there.
    const existing = await deepestExisting(path.join(root, relative));
    if (!isInside(root, existing)) {
      refuse(`workspace_path "${input}" goes through a symlink that leaves the workspaces folder.`, input);
    }
    const absolute = path.join(root, relative);
    if (!create && !(await isFolder(absolute))) {
      throw new NotFoundError('workspace', input, `There is no folder "${relative.split(path.sep).join('/')}" in the workspaces folder: create a project with that workspace_path, or name an existing folder.`);
    }
    const created = create && (await mkdir(absolute, { recursive: true })) !== undefined;
    const real = await realpath(absolute);
    if (!isInside(root, real) || real === root) {
      refuse(`workspace_path "${input}" resolves outside the workspaces folder.`, input);
    }
    // The real location is stored, so a symlink changed later cannot move the project elsewhere.
    return { relative: path.relative(root, real).split(path.sep).join('/'), absolute: real, created };
  }

  /** Removes a folder `resolve` just created, when what it was for failed. Never removes content. */
  async discard(workspace: ResolvedWorkspace): Promise<void> {
    if (workspace.created) await rmdir(workspace.absolute).catch(() => {});
  }

  /** The absolute folder of a stored relative path (no checks: stored paths were checked). */
  pathOf(relative: string): string {
    return path.join(this.dir, relative);
  }
}
