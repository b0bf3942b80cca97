import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, timestamp } from 'drizzle-orm/pg-core';
import { taskTable } from './task.sql.js';

/** Task `task_id` waits for task `blocked_by_id` to be done. */
export const taskDependencyTable = pgTable(
  'task_dependencies',
  {
    task_id: integer('task_id')
      .notNull()
      .references(() => taskTable.id, { onDelete: 'cascade' }),
    blocked_by_id: integer('blocked_by_id')
      .notNull()
      .references(() => taskTable.id, { onDelete: 'cascade' }),
    created_at: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.task_id, table.blocked_by_id] }),
    index('task_dependency_blocker_idx').on(table.blocked_by_id),
    check('task_dependency_self_check', sql`${table.task_id} <> ${table.blocked_by_id}`),
  ],
);

export type TaskDependencyRow = typeof taskDependencyTable.$inferSelect;
