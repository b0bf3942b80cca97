import { boolean, doublePrecision, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';
import { taskTable } from '../tasks/task.sql.js';

export const criterionTable = pgTable(
  'task_acceptance_criteria',
  {
    id: idColumn(),
    task_id: integer('task_id')
      .notNull()
      .references(() => taskTable.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    done: boolean('done').notNull().default(false),
    /** A shell command whose success proves the criterion (run by the director's gates). */
    check_command: text('check_command'),
    position: doublePrecision('position').notNull().default(0),
    ...timestamps,
  },
  (table) => [index('task_criterion_task_idx').on(table.task_id, table.position)],
);

export type CriterionRow = typeof criterionTable.$inferSelect;
