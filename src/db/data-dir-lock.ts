import { accessSync, constants, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** What the holder of a data dir writes into its lock file, so other processes can find it. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** What the holder is doing: `serve`, `migrate`, a CLI command. */
  purpose: string;
  started_at: string;
  /** The kernel's start time of the process (Linux), so a reused pid is not taken for the holder. */
  process_start?: string;
  /** Where the holder's HTTP API answers, once it listens. */
  url?: string;
}

/** Another live process holds the data dir. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly lockFile: string,
    readonly holder: LockInfo,
  ) {
    const where = holder.url ? ` and serves ${holder.url}` : '';
    super(
      `The data dir ${path.dirname(lockFile)} is in use by wfhub process ${holder.pid} (${holder.purpose})${where}. ` +
        'The embedded database allows one process at a time: stop that process, or point WFHUB_DATA_DIR elsewhere. ' +
        `If no such process runs (it was on host ${holder.hostname}), delete ${lockFile}.`,
    );
  }
}

/** The fields of /proc/<pid>/stat after the command name (Linux), or undefined elsewhere. */
function processStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function processStart(pid: number): string | undefined {
  return processStat(pid)?.[19];
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir loops forever where the kernel answers
 * ENOENT for a parent that exists (under /proc, say).
 */
function makeFolders(directory: string): void {
  const missing: string[] = [];
  let current = path.resolve(directory);
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const folder of missing) mkdirSync(folder);
  if (!statSync(directory).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
}

/** Lock files this process holds. */
const heldHere = new Set<string>();

/**
 * Whether the lock's holder still runs. A lock with our own pid that this process did not take
 * is stale: a restarted container often runs wfhub under the same pid as before.
 */
function isHolderAlive(info: LockInfo, file: string): boolean {
  if (info.pid === process.pid) return heldHere.has(file);
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = processStat(info.pid);
  // A zombie (killed, not yet reaped by its parent) still answers signal 0 but holds nothing.
  if (stat?.[0] === 'Z' || stat?.[0] === 'X') return false;
  const started = stat?.[19];
  return !(info.process_start && started && started !== info.process_start);
}

export function lockFilePath(dataDir: string): string {
  return path.join(dataDir, 'wfhub.lock');
}

/**
 * Reads the lock of a data dir. Returns the holder when a live process holds it, undefined when the
 * dir is free (no lock, or a lock left by a process that has died).
 */
function readLockFile(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

export function readLock(dataDir: string): LockInfo | undefined {
  const info = readLockFile(lockFilePath(dataDir));
  if (!info) return undefined;
  // A holder on another host (a shared volume) cannot be checked from here: assume it lives.
  if (info.hostname !== hostname()) return info;
  return isHolderAlive(info, lockFilePath(dataDir)) ? info : undefined;
}

/** An exclusive hold on a data dir, released on `release()` or when the process exits. */
export class DataDirLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(
    readonly file: string,
    private info: LockInfo,
  ) {
    heldHere.add(file);
    process.once('exit', this.onExit);
  }

  /**
   * Takes the lock, or throws DataDirLockedError naming the holder. A lock left by a dead process
   * (a crash, `kill -9`) is taken over.
   */
  static acquire(dataDir: string, purpose: string): DataDirLock {
    try {
      makeFolders(dataDir);
      accessSync(dataDir, constants.W_OK);
    } catch (error) {
      throw new Error(
        `Cannot use ${dataDir} as the data dir (WFHUB_DATA_DIR): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. ` +
          'Point WFHUB_DATA_DIR at a folder wfhub can create and write.',
        { cause: error },
      );
    }
    const file = lockFilePath(dataDir);
    const info: LockInfo = {
      pid: process.pid,
      hostname: hostname(),
      purpose,
      started_at: new Date().toISOString(),
      ...(processStart(process.pid) && { process_start: processStart(process.pid) }),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      // Written aside and linked in place, so the lock never exists without its content.
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(info), { mode: 0o600 });
      try {
        linkSync(temporary, file);
        return new DataDirLock(file, info);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        rmSync(temporary, { force: true });
      }
      const holder = readLock(dataDir);
      if (holder) throw new DataDirLockedError(file, holder);
      // Stale: move it aside atomically so two processes cannot both take it over.
      const aside = `${file}.stale-${process.pid}`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // Another process moved it first; the next attempt sees its lock.
      }
      const moved = readLockFile(aside);
      if (moved && moved.hostname === hostname() && isHolderAlive(moved, file)) {
        // We moved a lock another process had just taken over: put it back (link fails if a
        // third one was faster, which is as good).
        try {
          linkSync(aside, file);
        } catch {
          // Someone else's lock is in place.
        }
      }
      rmSync(aside, { force: true });
    }
    const holder = readLock(dataDir);
    if (holder) throw new DataDirLockedError(file, holder);
    throw new Error(`Could not take the lock ${file}; remove it if no wfhub process is running.`);
  }

  /** Records where this process serves its API, for the CLI to find it. */
  advertise(url: string): void {
    this.info = { ...this.info, url };
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.info), { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    heldHere.delete(this.file);
    if (readLockFile(this.file)?.pid === process.pid) rmSync(this.file, { force: true });
  }
}
