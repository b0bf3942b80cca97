import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** The processes executing runs (servers and `wfhub worker`s), as they say themselves. */
export const workerTable = pgTable('workers', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  /** What it is: serve or worker. */
  kind: text('kind').notNull(),
  /** The workspaces dir it sees, and that dir's id: it runs the projects whose folder is there. */
  workspaces_dir: text('workspaces_dir').notNull(),
  workspaces_id: text('workspaces_id').notNull(),
  concurrency: integer('concurrency').notNull(),
  version: text('version').notNull(),
  started_at: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  seen_at: timestamp('seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type WorkerRow = typeof workerTable.$inferSelect;
