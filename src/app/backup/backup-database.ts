import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/config.js';
import { ConflictError, InvalidInputError } from '../../core/errors.js';
import { DataDirLockedError, readLock, type LockInfo } from '../../db/data-dir-lock.js';
import { openDatabase, type OpenedDatabase } from '../../db/open-database.js';

function inUse(config: Config, holder: LockInfo, command: 'backup' | 'restore'): ConflictError {
  const serving = holder.url ? `, serving ${holder.url}` : '';
  const instead =
    command === 'backup'
      ? 'A backup reads the embedded database whole, and it allows one process at a time; with PostgreSQL (DATABASE_URL) backups run while servers do.'
      : 'Nothing was changed.';
  return new ConflictError(
    'data_dir_in_use',
    `The embedded database in ${config.dataDir} is in use by wfhub process ${holder.pid} (${holder.purpose}${serving}) on ${holder.hostname}: stop the server (pid ${holder.pid}: Ctrl-C where it runs, or kill ${holder.pid}), then run wfhub ${command} again. ${instead}`,
    { pid: holder.pid, purpose: holder.purpose },
  );
}

/**
 * Opens the configured database for a backup or a restore, without migrating it (a backup keeps
 * the level the database is at; a restore migrates inside its own transaction). The embedded
 * database must be free: a server holding it is named, with how to stop it.
 */
export async function openForBackup(config: Config, command: 'backup' | 'restore'): Promise<OpenedDatabase> {
  if (config.databaseKind === 'pglite') {
    if (command === 'backup' && !existsSync(path.join(config.dataDir, 'db', 'PG_VERSION'))) {
      throw new InvalidInputError(
        'no_database',
        `There is no embedded database in ${config.dataDir} (WFHUB_DATA_DIR): nothing to back up. Point --data-dir or WFHUB_DATA_DIR at wfhub's data dir, or set DATABASE_URL to back up PostgreSQL.`,
      );
    }
    const holder = readLock(config.dataDir);
    if (holder) throw inUse(config, holder, command);
  }
  try {
    return await openDatabase(config, { purpose: command, migrate: false });
  } catch (error) {
    if (error instanceof DataDirLockedError) throw inUse(config, error.holder, command);
    throw error;
  }
}

/** Where the embedded database or PostgreSQL is, in words. */
export function describeDatabase(database: Pick<OpenedDatabase, 'kind' | 'location'>): string {
  return database.kind === 'pglite' ? `the embedded database at ${database.location}` : `PostgreSQL at ${database.location}`;
}
