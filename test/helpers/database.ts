import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database, DatabaseConnection } from '../../src/db/database.js';
import { migratePostgresDatabase } from '../../src/db/migrate.js';
import * as schema from '../../src/db/schema.js';

export type BackendKind = 'pglite' | 'postgres';

/**
 * The databases a suite runs on: the embedded one always, and PostgreSQL when TEST_DATABASE_URL
 * names a server (CI starts one). CI sets WFHUB_REQUIRE_POSTGRES so a missing server fails loudly.
 */
export function backends(): BackendKind[] {
  if (process.env.WFHUB_REQUIRE_POSTGRES && !process.env.TEST_DATABASE_URL) {
    throw new Error('WFHUB_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not: start PostgreSQL and set it.');
  }
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase {
  kind: BackendKind;
  db: Database;
  connection: DatabaseConnection;
  /** For PostgreSQL: the URL of this test's own database. */
  url?: string;
  close(): Promise<void>;
}

/**
 * A pool whose connections may be cut by the database being dropped: `pool.end()` resolves
 * before its connections have closed, and dropping the database then ends them with an error
 * that, without a listener, would crash the test process.
 */
function quietPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  pool.on('error', () => undefined);
  return pool;
}

/** A migrated PostgreSQL database at `url` that the caller created and will drop. */
export async function openPostgresAt(url: string): Promise<TestDatabase> {
  const pool = quietPool(url);
  const db = drizzlePostgres({ client: pool, schema });
  await migratePostgresDatabase(db);
  return { kind: 'postgres', db: db as unknown as Database, connection: { kind: 'postgres', url }, url, close: () => pool.end() };
}

/** A fresh, migrated database of the given kind, private to the caller. */
export async function openTestDatabase(kind: BackendKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const snapshot = new Blob([readFileSync(inject('pgliteSnapshot'))]);
    const client = await PGlite.create({ loadDataDir: snapshot });
    return { kind, db: drizzlePglite({ client, schema }) as unknown as Database, connection: { kind, client }, close: () => client.close() };
  }
  const url = await createPostgresDatabase();
  const pool = quietPool(url);
  const db = drizzlePostgres({ client: pool, schema });
  await migratePostgresDatabase(db);
  return {
    kind,
    db: db as unknown as Database,
    connection: { kind, url },
    url,
    async close() {
      await pool.end();
      await dropPostgresDatabase(url);
    },
  };
}

/** Creates an empty database on the TEST_DATABASE_URL server and returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const name = `wfhub_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropPostgresDatabase(url: string): Promise<void> {
  const base = process.env.TEST_DATABASE_URL!;
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}
