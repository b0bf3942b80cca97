import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import type { TextRow } from './jsonl.js';
import { quoteIdentifier, tableSchema, type CatalogTable, type ForeignKey } from './table-catalog.js';

const maxParameters = 30_000;
const maxRowsPerInsert = 500;
const maxBatchChars = 4 * 1024 * 1024;

/**
 * Inserts a table's rows as a backup holds them, many per statement. Each value goes as text and
 * is cast to its column's type by PostgreSQL (`$1::text::jsonb`), so it is read exactly as it was
 * written; identity columns take the backup's ids.
 */
export class TableLoader {
  private batch: TextRow[] = [];
  private batchChars = 0;
  private readonly rowsPerInsert: number;
  private readonly prefix: SQL;
  private readonly types: string[];
  loaded = 0;

  constructor(
    private readonly db: Database,
    table: CatalogTable,
    /** The backup's columns, in the order of its rows' values. */
    columns: readonly string[],
  ) {
    this.types = columns.map((name) => table.columns.find((column) => column.name === name)!.type);
    this.rowsPerInsert = Math.max(1, Math.min(maxRowsPerInsert, Math.floor(maxParameters / columns.length)));
    const overriding = table.sequences.length > 0 ? ' overriding system value' : '';
    this.prefix = sql.raw(`insert into ${quoteIdentifier(tableSchema)}.${quoteIdentifier(table.name)} (${columns.map(quoteIdentifier).join(', ')})${overriding} values `);
  }

  async add(row: TextRow): Promise<void> {
    this.batch.push(row);
    for (const value of row) this.batchChars += value?.length ?? 0;
    if (this.batch.length >= this.rowsPerInsert || this.batchChars >= maxBatchChars) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch.map((row) => sql`(${sql.join(row.map((value, index) => sql`${value}::text::${sql.raw(this.types[index]!)}`), sql`, `)})`);
    await this.db.execute(sql`${this.prefix}${sql.join(rows, sql`, `)}`);
    this.loaded += this.batch.length;
    this.batch = [];
    this.batchChars = 0;
  }
}

/** Removes the rows a table holds (the roles a fresh database is seeded with, or a forced restore's). */
export async function emptyTables(db: Database, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  await db.execute(sql.raw(`truncate ${tables.map((table) => `${quoteIdentifier(tableSchema)}.${quoteIdentifier(table)}`).join(', ')}`));
}

/**
 * Lifts the foreign keys while rows go in (a subtask may come before its parent, a table before
 * the one it refers to); `restoreForeignKeys` puts them back as they were, checking every row.
 */
export async function dropForeignKeys(db: Database, keys: readonly ForeignKey[]): Promise<void> {
  for (const key of keys) {
    await db.execute(sql.raw(`alter table ${quoteIdentifier(tableSchema)}.${quoteIdentifier(key.table)} drop constraint ${quoteIdentifier(key.name)}`));
  }
}

export async function restoreForeignKeys(db: Database, keys: readonly ForeignKey[]): Promise<void> {
  for (const key of keys) {
    await db.execute(sql.raw(`alter table ${quoteIdentifier(tableSchema)}.${quoteIdentifier(key.table)} add constraint ${quoteIdentifier(key.name)} ${key.definition}`));
  }
}

/**
 * Turns the tables' own triggers off while the rows go in (or back on): restored rows are the
 * past, not changes to announce (a webhook's delivery, say). Foreign keys are not triggers of this kind.
 */
export async function setTriggers(db: Database, tables: readonly string[], on: boolean): Promise<void> {
  for (const table of tables) {
    await db.execute(sql.raw(`alter table ${quoteIdentifier(tableSchema)}.${quoteIdentifier(table)} ${on ? 'enable' : 'disable'} trigger user`));
  }
}

/** Sets each identity or serial sequence past the largest id restored, so new rows get fresh ids. */
export async function resetSequences(db: Database, table: CatalogTable): Promise<void> {
  for (const { column, sequence } of table.sequences) {
    const target = `${quoteIdentifier(tableSchema)}.${quoteIdentifier(table.name)}`;
    await db.execute(
      sql.raw(
        `select setval('${sequence.replace(/'/g, "''")}'::regclass, coalesce((select max(${quoteIdentifier(column)}) from ${target}), 1), (select max(${quoteIdentifier(column)}) from ${target}) is not null)`,
      ),
    );
  }
}
