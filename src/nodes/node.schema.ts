import { z } from 'zod';
import { idSchema, label, maxRunMinutes, text, timestampSchema } from '../core/schema-helpers.js';
import { executorNames } from '../executors/executor.schema.js';

const executorChoice = z.enum(executorNames);

export const nodeSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    directive: z.string(),
    model: z.string().nullable(),
    executor: executorChoice.nullable().describe("Who does the work in this role: builtin (wfhub's agent), aider, claude, codex, opencode or gemini; null: the project's setting, else builtin"),
    max_steps: z.number().int().nullable().describe('Model calls per run in this role; null: the project\'s or the default'),
    max_run_minutes: z.number().nullable().describe('Wall time per run in this role, in minutes'),
    token_budget: z.number().int().nullable().describe('Prompt plus completion tokens per run in this role'),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Node' });

export type Node = z.output<typeof nodeSchema>;

/** A role of the user's own, beside the seeded ones. */
export const nodeCreateSchema = z
  .object({
    name: label(100)
      .regex(/^[a-z][a-z0-9_-]*$/, 'must start with a lowercase letter and hold only lowercase letters, digits, "-" and "_" (e.g. "reviewer")')
      .describe('The role\'s name, used in tasks and triggers ("node": "reviewer")'),
    directive: text({ min: 1, max: 20_000 }).describe("The role's instructions, the start of the agent's system prompt"),
    model: label(200).nullable().optional().describe('The model for runs in this role; null or absent for the default'),
    executor: executorChoice.nullable().optional().describe("Who does the work in this role (GET /executors lists them); null or absent: the project's setting, else builtin"),
    max_steps: z.number().int().min(1).max(10_000).nullable().optional(),
    max_run_minutes: z.number().positive().max(maxRunMinutes).nullable().optional(),
    token_budget: z.number().int().min(1).max(1_000_000_000).nullable().optional(),
  })
  .strict()
  .meta({ id: 'NodeCreate' });

export type NodeCreate = z.output<typeof nodeCreateSchema>;

/** What a user may change in a role: its directive (the system prompt's opening), its model and its run limits. */
export const nodeUpdateSchema = z
  .object({
    directive: text({ max: 20_000 }).optional().describe("The role's instructions, the start of the agent's system prompt"),
    model: label(200).nullable().optional().describe('The model for runs in this role; null for the default'),
    executor: executorChoice.nullable().optional().describe("Who does the work in this role (GET /executors lists them); null: the project's setting, else builtin"),
    max_steps: z.number().int().min(1).max(10_000).nullable().optional().describe('Model calls per run in this role; null removes the limit of its own'),
    max_run_minutes: z.number().positive().max(maxRunMinutes).nullable().optional().describe('Wall time per run in this role, in minutes (at most a day)'),
    token_budget: z.number().int().min(1).max(1_000_000_000).nullable().optional().describe('Prompt plus completion tokens per run in this role'),
  })
  .strict()
  .meta({ id: 'NodeUpdate' });

export type NodeUpdate = z.output<typeof nodeUpdateSchema>;
