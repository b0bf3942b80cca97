import { z } from 'zod';
import { idSchema, label, text, timestampSchema } from '../core/schema-helpers.js';
import { executorNames } from '../executors/executor.schema.js';
import { gateResultSchema } from './gate-result.schema.js';

export const runStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** Where a run works: the workspace itself, the task's worktree of it, or the task's worktree of a worker's clone of the project's git remote. */
export const runIsolations = ['in-place', 'worktree', 'clone'] as const;
export type RunIsolation = (typeof runIsolations)[number];

/** Statuses a run never leaves. */
export const finishedRunStatuses: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export const runSchema = z
  .object({
    id: idSchema,
    task_id: idSchema,
    node_id: idSchema.nullable(),
    status: z.enum(runStatuses),
    executor: z.string().describe("Who did the work: builtin (wfhub's agent) or a coding agent's command line (aider, claude, codex, opencode, gemini)"),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    message: z.string().nullable().describe('What the user added when triggering'),
    prompt: z.string().nullable().describe('The exact task prompt the agent was given'),
    steps: z.number().int(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    summary: z.string().nullable(),
    files_changed: z.array(z.string()),
    isolation: z
      .enum(runIsolations)
      .describe("in-place: in the workspace itself; worktree: in the task's own worktree; clone: in a worker's clone of the project's git remote, the branch pushed back"),
    branch: z.string().nullable().describe('The branch the run worked on'),
    git_head_before: z.string().nullable(),
    git_head_after: z.string().nullable(),
    gates: z.array(gateResultSchema).describe("Checks run by wfhub itself in the run's role (acceptance checks, secret scan, audit), with their evidence"),
    verdict: z.enum(['pass', 'fail']).nullable().describe("A reviewing role's judgement (qa, security, documentation); null for roles that do not judge"),
    attempt: z.number().int().describe('1, or 2 for the automatic retry of an interrupted run'),
    retry_of: idSchema.nullable().describe('The interrupted run this one tries again'),
    worker: z.string().nullable().describe('The process that executed it (host:pid:…)'),
    started_at: timestampSchema.nullable(),
    undone_at: timestampSchema.nullable().describe('When its changes were taken back with POST /runs/{id}/undo'),
    finished_at: timestampSchema.nullable(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Run' });

export const runTriggerSchema = z
  .strictObject({
    node: z
      .union([label(100), idSchema])
      .optional()
      .describe("The role for this run (name or id); the task's own role by default"),
    model: label(200).optional().describe("Overrides the role's, the project's and the default model"),
    message: text({ max: 200_000 }).optional().describe('Added to the task as further instructions'),
    executor: z
      .enum(executorNames)
      .optional()
      .describe("Who does the work: builtin (wfhub's agent), aider, claude, codex, opencode or gemini (GET /executors lists the installed ones); the role's, then the project's setting, then builtin by default"),
  })
  .meta({ id: 'RunTrigger' });

export const runEventSchema = z
  .object({
    seq: z.number().int(),
    type: z.string(),
    at: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'RunEvent' });

export type Run = z.output<typeof runSchema>;
export type RunTrigger = z.output<typeof runTriggerSchema>;
export type RunEvent = z.output<typeof runEventSchema>;
