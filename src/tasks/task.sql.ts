import { sql } from 'drizzle-orm';
import { boolean, check, doublePrecision, index, integer, pgTable, text, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';
import { nodeTable } from '../nodes/node.sql.js';
import { projectTable } from '../projects/project.sql.js';
import { taskPriorities, taskStatuses, type TaskPriority, type TaskStatus } from './task-fields.js';

const inList = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export const taskTable = pgTable(
  'tasks',
  {
    id: idColumn(),
    project_id: integer('project_id')
      .notNull()
      .references(() => projectTable.id, { onDelete: 'cascade' }),
    parent_id: integer('parent_id').references((): AnyPgColumn => taskTable.id, { onDelete: 'cascade' }),
    node_id: integer('node_id').references(() => nodeTable.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    status: text('status').$type<TaskStatus>().notNull().default('todo'),
    priority: text('priority').$type<TaskPriority>().notNull().default('none'),
    /** Order within the project's board column; fractional so a card can move between two others. */
    position: doublePrecision('position').notNull().default(0),
    /** The director takes the task through its project's pipeline. */
    autopilot: boolean('autopilot').notNull().default(false),
    ...timestamps,
  },
  (table) => [
    index('task_project_idx').on(table.project_id, table.status, table.position),
    index('task_parent_idx').on(table.parent_id),
    index('task_node_idx').on(table.node_id),
    index('task_autopilot_idx').on(table.autopilot).where(sql`${table.autopilot}`),
    check('task_status_check', sql`${table.status} in (${inList(taskStatuses)})`),
    check('task_priority_check', sql`${table.priority} in (${inList(taskPriorities)})`),
  ],
);

export type TaskRow = typeof taskTable.$inferSelect;
