import { doublePrecision, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';
import type { ExecutorName } from '../executors/executor.schema.js';

/** A role an agent can play on a task (pm, dev, qa, security, documentation, or a user's own). */
export const nodeTable = pgTable(
  'task_nodes',
  {
    id: idColumn(),
    name: text('name').notNull(),
    directive: text('directive').notNull().default(''),
    /** Overrides the default model for runs in this role. */
    model: text('model'),
    /** Who does the work in this role (builtin, aider, claude, …); null: the project's or the built-in agent. */
    executor: text('executor').$type<ExecutorName>(),
    /** Limits for runs in this role (with the project's, the tighter one holds); null: none of its own. */
    max_steps: integer('max_steps'),
    max_run_minutes: doublePrecision('max_run_minutes'),
    token_budget: integer('token_budget'),
    ...timestamps,
  },
  (table) => [uniqueIndex('task_node_name_idx').on(table.name)],
);

export type NodeRow = typeof nodeTable.$inferSelect;
