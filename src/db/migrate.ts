import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { packageRoot } from '../core/package-root.js';
import type * as schema from './schema.js';

/** The generated, committed SQL migrations. */
export const migrationsFolder = path.join(packageRoot, 'migrations');

/** Any fixed number: it names the advisory lock that serialises migrations across processes. */
export const migrationLockKey = 0x77666875;

export async function migratePgliteDatabase(db: PgliteDatabase<typeof schema>): Promise<void> {
  await migratePglite(db, { migrationsFolder });
}

/** Several wfhub processes may start at once against one PostgreSQL: one migrates, the others wait. */
export async function migratePostgresDatabase(db: NodePgDatabase<typeof schema>): Promise<void> {
  const { migrate: migratePostgres } = await import('drizzle-orm/node-postgres/migrator');
  await db.transaction(async (transaction) => {
    await transaction.execute(sql`select pg_advisory_xact_lock(${migrationLockKey})`);
    await migratePostgres(transaction as unknown as NodePgDatabase<typeof schema>, { migrationsFolder });
  });
}
