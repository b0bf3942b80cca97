import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';
import { taskTable } from '../tasks/task.sql.js';

export const commentTable = pgTable(
  'task_comments',
  {
    id: idColumn(),
    task_id: integer('task_id')
      .notNull()
      .references(() => taskTable.id, { onDelete: 'cascade' }),
    author: text('author').notNull().default('user'),
    body: text('body').notNull(),
    ...timestamps,
  },
  (table) => [index('task_comment_task_idx').on(table.task_id, table.id)],
);

export type CommentRow = typeof commentTable.$inferSelect;
