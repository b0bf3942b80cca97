import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Reads a small regular file as UTF-8, or says nothing (undefined): never a FIFO or a device (which
 * could block a thread of the file pool for good, or never end), never through a symlink at the
 * end of the path, never more than `maxBytes`. For files in workspaces, which agents write.
 */
export async function readSmallFile(file: string, maxBytes: number): Promise<string | undefined> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    const info = await handle.stat();
    if (!info.isFile() || info.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled > maxBytes ? undefined : buffer.subarray(0, filled).toString('utf8');
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => {});
  }
}
