import { z } from 'zod';
import { maxId, pagingQuery, timestampSchema } from '../core/schema-helpers.js';

export const modelCallSources = ['agent', 'proxy'] as const;
export type ModelCallSource = (typeof modelCallSources)[number];

export const modelCallSchema = z
  .object({
    id: z.number().int(),
    source: z.enum(modelCallSources).describe("`agent`: wfhub's own agent; `proxy`: a call made through /ollama"),
    method: z.string(),
    path: z.string().describe('The path on the model server: /api/chat, /api/tags, /v1/chat/completions'),
    model: z.string().nullable(),
    status: z.number().int().nullable().describe("The model server's HTTP status; null when no answer came"),
    error: z.string().nullable().describe('Why the call failed, when it did'),
    duration_ms: z.number().int(),
    first_byte_ms: z.number().int().nullable().describe('From the request to the first bytes of the answer'),
    prompt_tokens: z.number().int().nullable(),
    completion_tokens: z.number().int().nullable(),
    tokens_per_second: z
      .number()
      .nullable()
      .describe("Completion tokens per second of generation (the model server's own generation time when it tells it, else the whole call)"),
    request_bytes: z.number().int(),
    response_bytes: z.number().int(),
    run_id: z.number().int().nullable(),
    task_id: z.number().int().nullable(),
    project_id: z.number().int().nullable(),
    conversation_id: z.number().int().nullable(),
    created_at: timestampSchema.describe('When the call was made'),
  })
  .meta({ id: 'ModelCall' });

export type ModelCall = z.output<typeof modelCallSchema>;

export const modelCallDetailSchema = modelCallSchema
  .extend({
    request_body: z.string().describe('The request body, its start and end kept when large (16 KB + 4 KB)'),
    response_body: z.string().describe('The answer, its start and end kept when large (the end holds the totals)'),
  })
  .meta({ id: 'ModelCallDetail' });

export type ModelCallDetail = z.output<typeof modelCallDetailSchema>;

const optionalId = z.coerce.number().int().min(1).max(maxId).optional();

export const modelCallQuerySchema = z.object({
  source: z.enum(modelCallSources).optional(),
  model: z.string().min(1).max(200).optional(),
  run_id: optionalId,
  task_id: optionalId,
  project_id: optionalId,
  before: optionalId.describe('Only calls older than this id (the next page, newest first)'),
  limit: pagingQuery.limit,
});

export type ModelCallQuery = z.output<typeof modelCallQuerySchema>;

/** What usage is summed by. Days are UTC days. */
export const usageGroupings = ['model', 'day', 'project', 'task', 'run', 'source'] as const;
export type UsageGrouping = (typeof usageGroupings)[number];

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  // Date.parse takes 2024-02-30 (as March 1st); PostgreSQL does not: the day must be itself once read.
  .refine((value) => {
    const read = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(read.getTime()) && read.toISOString().slice(0, 10) === value && read.getUTCFullYear() >= 1;
  }, 'must be a real date');

export const usageQuerySchema = z.object({
  by: z.enum(usageGroupings).default('model').describe('What the rows are: one per model (default), UTC day, project, task, run or source'),
  from: day.optional().describe('From this UTC day on (YYYY-MM-DD)'),
  to: day.optional().describe('Up to and including this UTC day (YYYY-MM-DD)'),
  model: z.string().min(1).max(200).optional(),
  project_id: optionalId,
  task_id: optionalId,
  run_id: optionalId,
  source: z.enum(modelCallSources).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('At most this many rows, the most tokens first (by day: the latest days first)'),
}).refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, { message: 'must not be after `to`', path: ['from'] });

export type UsageQuery = z.output<typeof usageQuerySchema>;

export const usageTotalsSchema = z.object({
  calls: z.number().int(),
  failed_calls: z.number().int().describe('Calls that got no answer or an error status'),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  duration_ms: z.number().int().describe('The calls\' time, summed'),
  average_ms: z.number().int().nullable(),
  tokens_per_second: z.number().nullable().describe('Completion tokens per second of generation'),
  first_at: timestampSchema.nullable(),
  last_at: timestampSchema.nullable(),
});

export const usageRowSchema = usageTotalsSchema.extend({
  key: z.union([z.string(), z.number().int()]).nullable().describe('The model, day (YYYY-MM-DD), id or source; null for calls of a deleted task or project, or with no model'),
  label: z.string().nullable().describe("The project's or task's name, the run's task; null otherwise"),
  project_id: z.number().int().nullable().describe('By project, task or run: the project it is in (null when deleted or another grouping)'),
  task_id: z.number().int().nullable().describe('By task or run: the task (null when deleted or another grouping)'),
});

export const usageSchema = z
  .object({
    by: z.enum(usageGroupings),
    from: z.string().nullable(),
    to: z.string().nullable(),
    totals: usageTotalsSchema,
    rows: z.array(usageRowSchema),
  })
  .meta({ id: 'Usage' });

export type Usage = z.output<typeof usageSchema>;
export type UsageRow = z.output<typeof usageRowSchema>;
