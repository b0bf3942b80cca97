import { existsSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { DataDirLock } from './data-dir-lock.js';
import type { Database, DatabaseConnection } from './database.js';
import { migratePgliteDatabase, migratePostgresDatabase } from './migrate.js';
import * as schema from './schema.js';

export interface OpenedDatabase {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Human description for logs: a folder or a URL without its password. */
  location: string;
  /** The same database for the job queue. */
  connection: DatabaseConnection;
  /** Present on the embedded database: the exclusive hold on the data dir. */
  lock?: DataDirLock;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Recorded in the lock file: what this process does (serve, migrate, cli). */
  purpose: string;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured DATABASE_URL';
  }
}

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else the embedded one. */
export async function openDatabase(config: Config, options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  const migrate = options.migrate ?? true;
  if (config.databaseUrl) {
    // Loaded only when used: the embedded database's start should not pay for the pg driver.
    const [{ default: pg }, { drizzle: drizzlePostgres }] = await Promise.all([
      import('pg'),
      import('drizzle-orm/node-postgres'),
    ]);
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', (error) => options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed'));
    const db = drizzlePostgres({ client: pool, schema });
    try {
      if (migrate) await migratePostgresDatabase(db);
      else await pool.query('select 1');
    } catch (error) {
      await pool.end();
      throw new Error(
        `Cannot use the PostgreSQL database at ${redactUrl(config.databaseUrl)}: ${(error as Error).message}. ` +
          'Check DATABASE_URL and that the server is running.',
        { cause: error },
      );
    }
    return {
      db: db as unknown as Database,
      kind: 'postgres',
      connection: { kind: 'postgres', url: config.databaseUrl },
      location: redactUrl(config.databaseUrl),
      close: () => pool.end(),
    };
  }

  const lock = DataDirLock.acquire(config.dataDir, options.purpose);
  try {
    const directory = path.join(config.dataDir, 'db');
    if (!existsSync(path.join(directory, 'PG_VERSION'))) {
      options.logger?.info(
        { directory },
        'creating the embedded database (first start only; this takes a few seconds)',
      );
    }
    const opening = performance.now();
    const client = await PGlite.create(directory);
    const opened = performance.now();
    const db = drizzlePglite({ client, schema });
    if (migrate) await migratePgliteDatabase(db);
    options.logger?.debug(
      { open_ms: Math.round(opened - opening), migrate_ms: Math.round(performance.now() - opened) },
      'embedded database ready',
    );
    return {
      db: db as unknown as Database,
      kind: 'pglite',
      connection: { kind: 'pglite', client },
      location: directory,
      lock,
      async close() {
        try {
          // Without a checkpoint the next start replays the log and sequences jump ahead (ids
          // would skip by 33 after every restart).
          await client.exec('CHECKPOINT').catch(() => {});
          await client.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
