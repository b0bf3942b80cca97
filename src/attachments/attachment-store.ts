import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TooLargeError } from '../core/errors.js';

/** The folders `wfhub backup` holds attachments in and `wfhub restore` stages them in, while they run. */
const leftByBackupOrRestore = /^\.(?:backup|restore)-/;

const storedNamePattern = /^[0-9a-f-]{36}$/;

/** Files of attachments, under the data dir with generated names; client names are never paths. */
export class AttachmentStore {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /**
   * Streams `source` into a new file. Past `maxBytes` the partial file is removed and a
   * TooLargeError thrown, so an oversized upload stores nothing.
   */
  async save(source: Readable): Promise<{ stored_name: string; size_bytes: number }> {
    await mkdir(this.dir, { recursive: true });
    const stored_name = randomUUID();
    const target = path.join(this.dir, stored_name);
    let size = 0;
    const limit = this.maxBytes;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > limit) {
          callback(
            new TooLargeError(
              `The file is larger than the ${limit}-byte limit. Upload a smaller file or raise ATTACHMENT_MAX_BYTES.`,
              { limit_bytes: limit },
            ),
          );
        } else callback(null, chunk);
      },
    });
    // The file is created before any byte flows, so a failure can always remove it: a stream that
    // opens its file lazily could create it after the clean-up ran.
    const handle = await open(target, 'wx', 0o600);
    try {
      await pipeline(source, counter, handle.createWriteStream());
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(target, { force: true });
      throw error;
    }
    return { stored_name, size_bytes: size };
  }

  pathOf(storedName: string): string {
    // Stored names are UUIDs we generated; refuse anything else rather than trusting the row.
    if (!storedNamePattern.test(storedName)) throw new Error(`Unexpected stored attachment name ${storedName}`);
    return path.join(this.dir, storedName);
  }

  /**
   * Flushes the files and the folder entry to disk, so that once a row says a file exists, a
   * power cut cannot take the file away.
   */
  async sync(storedNames: readonly string[]): Promise<void> {
    for (const target of [...storedNames.map((name) => this.pathOf(name)), this.dir]) {
      const handle = await open(target, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  /** The file's bytes and size as they are on disk, or undefined when it is gone. */
  async open(storedName: string): Promise<{ stream: Readable; size: number } | undefined> {
    let handle;
    try {
      handle = await open(this.pathOf(storedName), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    // Holding the handle, the file stays readable even if it is deleted meanwhile.
    const { size } = await handle.stat();
    return { stream: handle.createReadStream(), size };
  }

  async remove(storedNames: readonly string[]): Promise<void> {
    await Promise.all(storedNames.map((name) => rm(this.pathOf(name), { force: true })));
  }

  /**
   * Removes files no row refers to (left by a crash between writing a file and recording it), and
   * the folders a backup or a restore that crashed left here.
   * Only old files: several servers sharing the data dir may have an upload in flight.
   */
  async sweep(isKnown: (storedName: string) => Promise<boolean>, olderThanMs = 60 * 60_000): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      // What a backup holds or a restore stages while it runs, left by one that crashed: a day on, it is nobody's.
      if (leftByBackupOrRestore.test(name)) {
        const info = await stat(path.join(this.dir, name)).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > 24 * 60 * 60_000) await rm(path.join(this.dir, name), { recursive: true, force: true });
        continue;
      }
      if (!storedNamePattern.test(name)) continue;
      const info = await stat(path.join(this.dir, name)).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < olderThanMs) continue;
      if (!(await isKnown(name))) {
        await rm(path.join(this.dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
}
