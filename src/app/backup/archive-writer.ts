import { once } from 'node:events';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { syncFile } from './sync-file.js';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Header, Pack, ReadEntry } from 'tar';

/**
 * Writes a gzipped tar file entry by entry, streaming: nothing is held whole in memory. The file
 * is written beside its target under a temporary name, readable by its owner only (a backup holds
 * secrets), and renamed into place once complete and flushed: a failed or interrupted backup
 * leaves no partial file, and an older backup of the same name stays until the new one is whole.
 */
export class ArchiveWriter {
  private readonly pack = new Pack({ gzip: true, portable: true, strict: true });
  private readonly written: Promise<void>;
  private failure: unknown;

  private constructor(
    readonly target: string,
    private readonly temporary: string,
    private readonly stream: Writable,
    private readonly mtime: Date,
  ) {
    this.written = pipeline(this.pack, stream).catch((error: unknown) => {
      this.failure ??= error;
      throw error;
    });
    // Seen at the next add or at finish; not an unhandled rejection meanwhile.
    this.written.catch(() => undefined);
  }

  static async create(target: string, mtime = new Date()): Promise<ArchiveWriter> {
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
    const handle = await open(temporary, 'w', 0o600);
    // The mode given to open is cut by the umask and kept by a file that was there: set it.
    await handle.chmod(0o600);
    return new ArchiveWriter(target, temporary, handle.createWriteStream(), mtime);
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private entry(name: string, size: number): ReadEntry {
    this.check();
    const entry = new ReadEntry(new Header({ path: name, mode: 0o600, size, mtime: this.mtime, type: 'File' }));
    this.pack.add(entry);
    return entry;
  }

  /** Adds an entry whose bytes are at hand. */
  async add(name: string, data: Buffer): Promise<void> {
    const entry = this.entry(name, data.length);
    if (!entry.write(data)) await this.drained(entry);
    entry.end();
  }

  /** Adds an entry of exactly `size` bytes read from `chunks`, waiting whenever the file is behind. */
  async addStream(name: string, size: number, chunks: AsyncIterable<Buffer>): Promise<void> {
    const entry = this.entry(name, size);
    let seen = 0;
    for await (const chunk of chunks) {
      seen += chunk.length;
      if (seen > size) break;
      if (!entry.write(chunk)) await this.drained(entry);
    }
    if (seen !== size) throw new Error(`${name} changed while it was being backed up (${seen} bytes read, ${size} expected): run the backup again.`);
    entry.end();
  }

  private async drained(entry: ReadEntry): Promise<void> {
    await Promise.race([once(entry, 'drain'), this.written]);
    this.check();
  }

  /** Ends the archive, flushes it and puts it in place; answers its size in bytes. */
  async finish(): Promise<number> {
    this.pack.end();
    await this.written;
    await syncFile(this.temporary);
    await rename(this.temporary, this.target);
    await syncFile(path.dirname(this.target));
    return (await stat(this.target)).size;
  }

  /** Removes what was written; the target, if it existed, is left as it was. */
  async abort(): Promise<void> {
    this.failure ??= new Error('aborted');
    // The file's stream first: its handle is closed, whatever the archive's stream still holds.
    if (!this.stream.destroyed) {
      const closed = once(this.stream, 'close').catch(() => undefined);
      this.stream.destroy();
      await closed;
    }
    this.pack.destroy();
    await rm(this.temporary, { force: true });
  }
}
