import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Database } from './database.js';
import { rowsOf } from './database.js';
import { migrationsFolder } from './migrate.js';

/** One committed migration, as drizzle's migrator knows it, with its tag from the journal. */
export interface Migration {
  tag: string;
  /** drizzle's `folderMillis`: what the migrations table records as `created_at`. */
  when: number;
  hash: string;
  statements: string[];
}

/** How far a database is migrated: the first `count` migrations of the journal. */
export interface MigrationLevel {
  count: number;
  /** The tag of the last one applied, when any. */
  lastTag: string | undefined;
  /** The database records a migration this wfhub does not know (a newer wfhub migrated it). */
  newer: boolean;
}

/** The migrations this wfhub ships, in order (migrations/meta/_journal.json and the SQL files). */
export function knownMigrations(folder = migrationsFolder): Migration[] {
  const journal = JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
  const files = readMigrationFiles({ migrationsFolder: folder });
  return journal.entries.map((entry, index) => ({
    tag: entry.tag,
    when: entry.when,
    hash: files[index]!.hash,
    statements: files[index]!.sql,
  }));
}

// drizzle's own bookkeeping, where its migrator keeps it.
const migrationsTable = sql`"drizzle"."__drizzle_migrations"`;

/**
 * The level a database is at, read the way drizzle's migrator reads it: every migration no later
 * than the last one recorded counts as applied.
 */
export async function migrationLevel(db: Database, migrations: readonly Migration[]): Promise<MigrationLevel> {
  const [exists] = rowsOf<{ found: string | null }>(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations')::text as found`));
  if (!exists?.found) return { count: 0, lastTag: undefined, newer: false };
  const [last] = rowsOf<{ created_at: string | null }>(await db.execute(sql`select max(created_at)::text as created_at from ${migrationsTable}`));
  if (last?.created_at == null) return { count: 0, lastTag: undefined, newer: false };
  const lastWhen = Number(last.created_at);
  const applied = migrations.filter((migration) => migration.when <= lastWhen);
  return {
    count: applied.length,
    lastTag: applied.at(-1)?.tag,
    newer: migrations.length === 0 || lastWhen > migrations.at(-1)!.when,
  };
}

/**
 * Applies the migrations up to the first `level` (those not applied yet) through `db`, which may
 * be a transaction: unlike drizzle's migrator, which commits on its own, this one leaves the
 * commit to the caller, so a restore that fails later takes its schema back with it. Records
 * each one as drizzle's migrator does, which then carries on from there at the next start.
 */
export async function migrateTo(db: Database, migrations: readonly Migration[], level: number): Promise<Migration[]> {
  await db.execute(sql`create schema if not exists "drizzle"`);
  await db.execute(sql`create table if not exists ${migrationsTable} (id serial primary key, hash text not null, created_at bigint)`);
  const [last] = rowsOf<{ created_at: string | null }>(await db.execute(sql`select max(created_at)::text as created_at from ${migrationsTable}`));
  const lastWhen = last?.created_at == null ? undefined : Number(last.created_at);
  const pending = migrations.slice(0, level).filter((migration) => lastWhen === undefined || migration.when > lastWhen);
  for (const migration of pending) {
    for (const statement of migration.statements) await db.execute(sql.raw(statement));
    await db.execute(sql`insert into ${migrationsTable} ("hash", "created_at") values (${migration.hash}, ${migration.when})`);
  }
  return pending;
}
