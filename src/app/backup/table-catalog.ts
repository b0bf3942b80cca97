import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../../db/database.js';

/** Where wfhub's tables live; drizzle's bookkeeping and pg-boss's queue have schemas of their own. */
export const tableSchema = 'public';

/**
 * Tables a backup leaves out: what processes say of themselves while they run (`workers`), which
 * would only show processes that no longer exist.
 */
export const runtimeTables: readonly string[] = ['workers'];

export interface CatalogColumn {
  name: string;
  /** The type as SQL spells it (`timestamp with time zone`, `jsonb`, `numeric(10,2)`). */
  type: string;
}

export interface CatalogTable {
  name: string;
  /** Every stored column in order (generated columns left out: they are computed again). */
  columns: CatalogColumn[];
  primaryKey: string[];
  /** Identity and serial columns, with their sequences, to be set past the restored ids. */
  sequences: { column: string; sequence: string }[];
}

export interface ForeignKey {
  name: string;
  table: string;
  references: string;
  /** `FOREIGN KEY (...) REFERENCES ...(...) ON DELETE ...`, as PostgreSQL gives it back. */
  definition: string;
}

export interface Catalog {
  /** Ordered so that a table comes after the tables it refers to. */
  tables: CatalogTable[];
  foreignKeys: ForeignKey[];
  /** Tables with triggers of their own (not a foreign key's): a restore's rows must not set them off. */
  triggered: string[];
}

/** The tables wfhub keeps in the database (runtime ones aside), read from PostgreSQL's catalog. */
export async function readCatalog(db: Database): Promise<Catalog> {
  const columns = rowsOf<{ table: string; name: string; type: string; sequence: string | null }>(
    await db.execute(sql`
      select c.relname as "table", a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
        pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) as sequence
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${tableSchema} and c.relkind in ('r', 'p') and not c.relispartition
        and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      order by c.relname, a.attnum`),
  );
  const keys = rowsOf<{ table: string; column: string }>(
    await db.execute(sql`
      select c.relname as "table", a.attname as "column"
      from pg_index i
      join pg_class c on c.oid = i.indrelid
      join pg_namespace n on n.oid = c.relnamespace
      cross join lateral unnest(i.indkey) with ordinality as k(attnum, position)
      join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
      where n.nspname = ${tableSchema} and i.indisprimary
      order by c.relname, k.position`),
  );
  const foreignKeys = rowsOf<ForeignKey>(
    await db.execute(sql`
      select con.conname as name, c.relname as "table", f.relname as "references", pg_get_constraintdef(con.oid) as definition
      from pg_constraint con
      join pg_class c on c.oid = con.conrelid
      join pg_class f on f.oid = con.confrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${tableSchema} and con.contype = 'f'
      order by c.relname, con.conname`),
  );

  const triggers = rowsOf<{ table: string }>(
    await db.execute(sql`
      select distinct c.relname as "table"
      from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${tableSchema} and not t.tgisinternal
      order by 1`),
  );

  const tables = new Map<string, CatalogTable>();
  for (const column of columns) {
    if (runtimeTables.includes(column.table)) continue;
    let table = tables.get(column.table);
    if (!table) tables.set(column.table, (table = { name: column.table, columns: [], primaryKey: [], sequences: [] }));
    table.columns.push({ name: column.name, type: column.type });
    if (column.sequence) table.sequences.push({ column: column.name, sequence: column.sequence });
  }
  for (const key of keys) tables.get(key.table)?.primaryKey.push(key.column);
  const kept = foreignKeys.filter((key) => tables.has(key.table));
  return {
    tables: dependencyOrder([...tables.values()], kept),
    foreignKeys: kept,
    triggered: triggers.map((trigger) => trigger.table).filter((table) => tables.has(table)),
  };
}

/**
 * Tables after the ones they refer to (a table referring to itself, or a cycle, does not hold
 * the order up: restore lifts the foreign keys while it loads). Ties stay in name order.
 */
function dependencyOrder(tables: CatalogTable[], foreignKeys: readonly ForeignKey[]): CatalogTable[] {
  const ordered: CatalogTable[] = [];
  const placed = new Set<string>();
  const remaining = [...tables];
  while (remaining.length > 0) {
    const ready = remaining.findIndex((table) =>
      foreignKeys.every((key) => key.table !== table.name || key.references === table.name || placed.has(key.references) || !remaining.some((other) => other.name === key.references)),
    );
    const [next] = remaining.splice(ready === -1 ? 0 : ready, 1);
    ordered.push(next!);
    placed.add(next!.name);
  }
  return ordered;
}

/** `"name"`, as an SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
