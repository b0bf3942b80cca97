import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';
import { nodeTable } from '../nodes/node.sql.js';
import { taskTable } from '../tasks/task.sql.js';

/** One execution of an agent on a task. Runs are created by triggering a task. */
export const runTable = pgTable(
  'task_runs',
  {
    id: idColumn(),
    task_id: integer('task_id')
      .notNull()
      .references(() => taskTable.id, { onDelete: 'cascade' }),
    node_id: integer('node_id').references(() => nodeTable.id, { onDelete: 'set null' }),
    status: text('status').notNull().default('queued'),
    model: text('model'),
    started_at: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    finished_at: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (table) => [index('task_run_task_idx').on(table.task_id, table.id), index('task_run_status_idx').on(table.status)],
);

export type RunRow = typeof runTable.$inferSelect;
