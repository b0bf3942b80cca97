import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { timestamps } from '../db/columns.js';
import { runTable } from '../runs/run.sql.js';
import { taskTable } from '../tasks/task.sql.js';

/**
 * Where a task on autopilot is in its pipeline. The director changes it only with the row locked,
 * in the same transaction that starts the stage's run: a restart finds either the run or nothing,
 * never a stage started twice.
 */
export const taskPipelineTable = pgTable(
  'task_pipelines',
  {
    task_id: integer('task_id')
      .primaryKey()
      .references(() => taskTable.id, { onDelete: 'cascade' }),
    /** The project's pipeline as it was when the task set off (role names). */
    nodes: jsonb('nodes').$type<string[]>().notNull(),
    max_attempts: integer('max_attempts').notNull(),
    /** The index in `nodes` of the stage the task is at (`nodes.length` once through). */
    stage: integer('stage').notNull().default(0),
    /** Rounds through dev so far (1 on the first). */
    attempt: integer('attempt').notNull().default(1),
    /** waiting | running | passed | blocked | overridden | stopped */
    state: text('state').notNull().default('waiting'),
    /** The run of the current stage, once started. */
    run_id: integer('run_id').references(() => runTable.id, { onDelete: 'set null' }),
    /** The last gate that failed: its role, run and the checks that failed. */
    failure: jsonb('failure').$type<Record<string, unknown>>(),
    /** Why the task is blocked or the pipeline stopped, in words. */
    reason: text('reason'),
    override_by: text('override_by'),
    override_reason: text('override_reason'),
    overridden_at: timestamp('overridden_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (table) => [index('task_pipeline_state_idx').on(table.state), index('task_pipeline_run_idx').on(table.run_id)],
);

export type TaskPipelineRow = typeof taskPipelineTable.$inferSelect;
