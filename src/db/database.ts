import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

/**
 * How to reach the same database outside drizzle (the job queue needs it): the embedded
 * database's client, or PostgreSQL's URL. Minimal on purpose: only what those users call.
 */
export type DatabaseConnection =
  | { kind: 'pglite'; client: { query(query: string, params?: unknown[]): Promise<{ rows: any[] }>; exec(query: string): Promise<Array<{ rows: any[] }>> } }
  | { kind: 'postgres'; url: string };

/** The typed database handle, the same type on the embedded database and on PostgreSQL. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The Postgres error code of a failed query (drizzle wraps the driver's error in `cause`). */
export function postgresErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The constraint a failed query broke, when the driver names it. */
export function postgresConstraint(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const constraint = (current as { constraint?: unknown }).constraint;
    if (typeof constraint === 'string') return constraint;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export const uniqueViolation = '23505';
export const foreignKeyViolation = '23503';

/** `db.execute` answers `{ rows }` on both drivers. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
