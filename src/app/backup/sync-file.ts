import { open } from 'node:fs/promises';

/** Flushes a file (or a folder's entries) to disk, so a rename after it finds the bytes there after a crash. */
export async function syncFile(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
