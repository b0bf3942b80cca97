import { sql } from 'drizzle-orm';
import { ConflictError } from '../../core/errors.js';
import { rowsOf, type Database } from '../../db/database.js';
import { quoteIdentifier, tableSchema, type Catalog } from './table-catalog.js';

/** Tables a fresh database already has rows in: the roles the migrations seed. A restore replaces them. */
export const seededTables: readonly string[] = ['task_nodes'];

/** The tables of the target that hold rows of their own (seeded roles aside). */
export async function tablesWithRows(db: Database, catalog: Catalog): Promise<string[]> {
  const held: string[] = [];
  for (const table of catalog.tables) {
    if (seededTables.includes(table.name)) continue;
    const found = rowsOf(await db.execute(sql.raw(`select 1 from ${quoteIdentifier(tableSchema)}.${quoteIdentifier(table.name)} limit 1`)));
    if (found.length > 0) held.push(table.name);
  }
  return held;
}

/**
 * A PostgreSQL database a wfhub process uses now (it said so within the last 90 seconds) is not
 * restored into: the process would work on rows changing under it.
 */
export async function refuseLiveWorkers(db: Database): Promise<void> {
  const [table] = rowsOf<{ found: string | null }>(await db.execute(sql`select to_regclass('public.workers')::text as found`));
  if (!table?.found) return;
  const live = rowsOf<{ host: string; pid: number; kind: string; ago: number }>(
    await db.execute(sql`select host, pid, kind, extract(epoch from now() - seen_at)::int as ago from workers where seen_at > now() - interval '90 seconds' order by seen_at desc`),
  );
  if (live.length === 0) return;
  const [first] = live;
  throw new ConflictError(
    'database_in_use',
    `This database is in use: wfhub ${first!.kind} (pid ${first!.pid} on ${first!.host}) was seen ${first!.ago} s ago${live.length > 1 ? `, and ${live.length - 1} more` : ''}. Stop every wfhub server and worker using it, then run wfhub restore again. Nothing was changed.`,
    { processes: live.length },
  );
}
