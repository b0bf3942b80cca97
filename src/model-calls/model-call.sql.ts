import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { idColumn } from '../db/columns.js';
import { conversationTable } from '../chat/chat.sql.js';
import { projectTable } from '../projects/project.sql.js';
import { runTable } from '../runs/run.sql.js';
import { taskTable } from '../tasks/task.sql.js';

/**
 * One HTTP call to the model server: wfhub's own agent's (source `agent`) or one made through the
 * `/ollama` proxy (source `proxy`). What it cost (tokens, time) and a capped copy of both bodies.
 * A deleted task or project leaves its calls, unattributed, in the usage totals.
 */
export const modelCallTable = pgTable(
  'model_calls',
  {
    id: idColumn(),
    /** agent | proxy */
    source: text('source').notNull(),
    method: text('method').notNull(),
    /** The path on the model server: /api/chat, /v1/chat/completions. */
    path: text('path').notNull(),
    model: text('model'),
    /** The model server's HTTP status; null when no answer came (unreachable, timed out). */
    status: integer('status'),
    /** Why the call failed, in words, when it did. */
    error: text('error'),
    duration_ms: integer('duration_ms').notNull(),
    /** From the request to the first bytes of the answer. */
    first_byte_ms: integer('first_byte_ms'),
    prompt_tokens: integer('prompt_tokens'),
    completion_tokens: integer('completion_tokens'),
    /** The time the server spent generating the completion (Ollama's eval_duration), for tokens per second. */
    generation_ms: integer('generation_ms'),
    request_bytes: integer('request_bytes').notNull().default(0),
    response_bytes: integer('response_bytes').notNull().default(0),
    /** The start of each body (and the end of the answer, where the totals are), cut when large. */
    request_body: text('request_body').notNull().default(''),
    response_body: text('response_body').notNull().default(''),
    run_id: integer('run_id').references(() => runTable.id, { onDelete: 'set null' }),
    task_id: integer('task_id').references(() => taskTable.id, { onDelete: 'set null' }),
    project_id: integer('project_id').references(() => projectTable.id, { onDelete: 'set null' }),
    conversation_id: integer('conversation_id').references(() => conversationTable.id, { onDelete: 'set null' }),
    /** When the call was made. */
    created_at: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    index('model_call_created_idx').on(table.created_at),
    index('model_call_run_idx').on(table.run_id),
    index('model_call_task_idx').on(table.task_id),
    index('model_call_project_idx').on(table.project_id),
  ],
);

export type ModelCallRow = typeof modelCallTable.$inferSelect;
