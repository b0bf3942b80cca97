import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../../db/database.js';
import type { TextRow } from './jsonl.js';
import { quoteIdentifier, tableSchema, type CatalogTable } from './table-catalog.js';

/**
 * PostgreSQL's text for every value, the same whatever the server's settings: UTC with ISO dates,
 * floats to their last digit, bytea in hex. Set for the transaction that reads (or loads) a backup.
 */
export async function useExactText(db: Database): Promise<void> {
  for (const setting of [
    sql`set local timezone = 'UTC'`,
    sql`set local datestyle = 'ISO, YMD'`,
    sql`set local intervalstyle = 'postgres'`,
    sql`set local extra_float_digits = 3`,
    sql`set local bytea_output = 'hex'`,
  ]) {
    await db.execute(setting);
  }
}

let cursors = 0;

/**
 * A table's rows in primary-key order, a page at a time through a cursor (inside the caller's
 * transaction, so every page comes from one snapshot): a large table is never held whole.
 */
export async function* tableRows(db: Database, table: CatalogTable, pageSize = 500): AsyncGenerator<TextRow> {
  const cursor = `wfhub_backup_${++cursors}`;
  const columns = table.columns.map((column, index) => `${quoteIdentifier(column.name)}::text as c${index}`).join(', ');
  const order = table.primaryKey.length > 0 ? table.primaryKey : table.columns.map((column) => column.name);
  const orderBy = order.map(quoteIdentifier).join(', ');
  await db.execute(sql.raw(`declare ${cursor} no scroll cursor for select ${columns} from ${quoteIdentifier(tableSchema)}.${quoteIdentifier(table.name)} order by ${orderBy}`));
  try {
    for (;;) {
      const page = rowsOf<Record<string, string | null>>(await db.execute(sql.raw(`fetch forward ${pageSize} from ${cursor}`)));
      for (const row of page) yield table.columns.map((_, index) => row[`c${index}`] ?? null);
      if (page.length < pageSize) break;
    }
  } finally {
    // After a failed query the transaction is aborted and the cursor gone with it.
    await db.execute(sql.raw(`close ${cursor}`)).catch(() => undefined);
  }
}

/** How many rows each table has, in the caller's snapshot. */
export async function countRows(db: Database, table: string): Promise<number> {
  const [row] = rowsOf<{ count: string }>(await db.execute(sql.raw(`select count(*)::text as count from ${quoteIdentifier(tableSchema)}.${quoteIdentifier(table)}`)));
  return Number(row?.count ?? 0);
}
