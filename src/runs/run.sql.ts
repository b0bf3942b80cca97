import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, type AnyPgColumn } from 'drizzle-orm/pg-core';
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
    /** queued | running | succeeded | failed | cancelled | interrupted */
    status: text('status').notNull().default('queued'),
    /** Who does the work: `builtin` (wfhub's own agent) or an external coding agent. */
    executor: text('executor').notNull().default('builtin'),
    provider: text('provider'),
    model: text('model'),
    /** What the user added when triggering, besides the task itself. */
    message: text('message'),
    /** The exact task prompt the agent was given. */
    prompt: text('prompt'),
    steps: integer('steps').notNull().default(0),
    prompt_tokens: integer('prompt_tokens').notNull().default(0),
    completion_tokens: integer('completion_tokens').notNull().default(0),
    error_code: text('error_code'),
    error_message: text('error_message'),
    summary: text('summary'),
    files_changed: jsonb('files_changed').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** Where it worked: `in-place` (the workspace itself) or `worktree` (the task's own), set when claimed. */
    isolation: text('isolation').notNull().default('in-place'),
    /** The branch it worked on (the task's branch in a worktree). */
    branch: text('branch'),
    git_head_before: text('git_head_before'),
    git_head_after: text('git_head_after'),
    diff: text('diff'),
    /** The checks run before the agent (acceptance checks, secret scan, audit), with their results. */
    gates: jsonb('gates').$type<Record<string, unknown>[]>().notNull().default(sql`'[]'::jsonb`),
    /** A reviewing role's judgement of the work: pass or fail; null for roles that do not judge. */
    verdict: text('verdict'),
    /** The process running it, and until when its hold on the run counts (renewed by a heartbeat). */
    worker: text('worker'),
    lease_expires_at: timestamp('lease_expires_at', { withTimezone: true, mode: 'date' }),
    attempt: integer('attempt').notNull().default(1),
    /** The interrupted run this one tries again (it had changed nothing). */
    retry_of: integer('retry_of').references((): AnyPgColumn => runTable.id, { onDelete: 'set null' }),
    started_at: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    /** When its changes were taken back (POST /runs/{id}/undo). */
    undone_at: timestamp('undone_at', { withTimezone: true, mode: 'date' }),
    finished_at: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    ...timestamps,
  },
  (table) => [
    index('task_run_task_idx').on(table.task_id, table.id),
    index('task_run_status_idx').on(table.status),
    // One active run per task: a second trigger while one is queued or running is refused.
    uniqueIndex('task_run_active_idx').on(table.task_id).where(sql`status in ('queued', 'running')`),
  ],
);

export type RunRow = typeof runTable.$inferSelect;

/** What a run reported, in order: the transcript, kept as it happens so a crash loses nothing. */
export const runEventTable = pgTable(
  'run_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    run_id: integer('run_id')
      .notNull()
      .references(() => runTable.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    created_at: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('run_event_run_seq_idx').on(table.run_id, table.seq)],
);

export type RunEventRow = typeof runEventTable.$inferSelect;
