import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';

/** One file of the archive; its bytes are read from `chunks`, once, before the next entry. */
export interface ArchiveEntry {
  path: string;
  type: string;
  size: number;
  chunks: AsyncIterable<Buffer>;
}

/** The archive could not be read: not gzip, not tar, truncated or damaged. */
export class DamagedArchiveError extends Error {
  override readonly name = 'DamagedArchiveError';
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'Z_DATA_ERROR' && /header/.test(message)) return 'it is not gzip-compressed';
  if (code === 'Z_BUF_ERROR') return 'it ends too early (truncated)';
  if (code === 'Z_DATA_ERROR') return `its compressed data is damaged (${message})`;
  if (code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ENTRY_INVALID') return `its tar content is damaged (${message.replace(/^TAR_[A-Z_]+: /, '')})`;
  return message;
}

/**
 * The entries of a gzipped tar file, in order, streaming. Any fault (not gzip, a bad checksum, a
 * truncated file, an entry shorter than its header says) ends the iteration with a
 * DamagedArchiveError; so does an entry whose bytes were not all there.
 */
export async function* readArchive(file: string): AsyncGenerator<ArchiveEntry> {
  // Gzip is undone here rather than by tar: a file that is not gzip at all is said so.
  const parser = new Parser({ strict: true, maxDecompressionRatio: Infinity });
  const waiting: ReadEntry[] = [];
  let current: ReadEntry | undefined;
  let failure: unknown;
  let ended = false;
  /** The caller stopped reading: the pump stops too. */
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    if (failure !== undefined && current) {
      // A reader in the middle of an entry would otherwise wait for bytes that never come.
      const entry = current;
      current = undefined;
      entry.emit('error', failure);
    }
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const fail = (error: unknown) => {
    failure ??= error;
    notify();
  };
  parser.on('entry', (entry: ReadEntry) => {
    waiting.push(entry);
    notify();
  });
  parser.on('error', fail);
  parser.on('end', () => {
    ended = true;
    notify();
  });

  const source = createReadStream(file);
  const gunzip = createGunzip();
  source.on('error', fail);
  gunzip.on('error', fail);
  const pumping = (async () => {
    try {
      for await (const chunk of source.pipe(gunzip) as AsyncIterable<Buffer>) {
        if (failure !== undefined || closed) return;
        if (!parser.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              clearInterval(watch);
              resolve();
            };
            const watch = setInterval(() => (failure !== undefined || closed) && done(), 50);
            parser.once('drain', done);
          });
        }
      }
      if (failure === undefined && !closed) parser.end();
    } catch (error) {
      if (!closed) fail(error);
    }
  })();

  try {
    for (;;) {
      if (failure !== undefined) throw new DamagedArchiveError(describe(failure), { cause: failure });
      const next = waiting.shift();
      if (next) {
        current = next;
        let seen = 0;
        const entry = next;
        const chunks = (async function* () {
          try {
            for await (const chunk of entry as AsyncIterable<Buffer>) {
              seen += chunk.length;
              yield chunk;
            }
          } catch (error) {
            throw new DamagedArchiveError(describe(failure ?? error), { cause: failure ?? error });
          }
          if (failure !== undefined) throw new DamagedArchiveError(describe(failure), { cause: failure });
          if (seen !== entry.size) throw new DamagedArchiveError(`it ends too early (truncated): ${entry.path} has ${seen} of its ${entry.size} bytes`);
        })();
        yield { path: entry.path, type: entry.type, size: entry.size, chunks };
        // An entry the caller did not read is skipped.
        entry.resume();
        current = undefined;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    closed = true;
    source.destroy();
    gunzip.destroy();
    await pumping;
  }
}
