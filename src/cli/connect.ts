import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { openHub } from '../app/open-hub.js';
import type { Config } from '../config/config.js';
import { DataDirLockedError, lockFilePath, readLock } from '../db/data-dir-lock.js';
import type { HubClient } from '../app/hub-client.js';
import { httpClient } from './http-client.js';
import { localClient } from './local-client.js';

/** Notices for a person at a terminal (the first database creation takes seconds), on stderr. */
const stderrNotices = {
  info: (_fields: object, message: string) => process.stderr.write(`${message}\n`),
  warn: (_fields: object, message: string) => process.stderr.write(`warning: ${message}\n`),
  error: (_fields: object, message: string) => process.stderr.write(`error: ${message}\n`),
  debug: () => {},
} as unknown as Logger;

/**
 * The embedded database allows one process. When a server holds the data dir, the CLI goes
 * through that server's API (its lock file says where); otherwise it opens the database itself.
 */
export async function connect(config: Config, options: { waitMs?: number } = {}): Promise<HubClient> {
  if (config.databaseKind === 'pglite') {
    const deadline = Date.now() + (options.waitMs ?? 5000);
    for (;;) {
      const holder = readLock(config.dataDir);
      if (!holder) break;
      if (holder.url) return httpClient(holder.url, config.token);
      // A server that is still starting advertises its address within moments.
      if (Date.now() > deadline) throw new DataDirLockedError(lockFilePath(config.dataDir), holder);
      await sleep(100);
    }
  }
  try {
    return localClient(await openHub(config, { purpose: 'cli', logger: stderrNotices }));
  } catch (error) {
    // A server started between our look at the lock and our open: use it.
    if (error instanceof DataDirLockedError && error.holder.url) return httpClient(error.holder.url, config.token);
    throw error;
  }
}
