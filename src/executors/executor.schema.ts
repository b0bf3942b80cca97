import { z } from 'zod';

/** The executors wfhub can hand a run to: its own agent, or a coding agent's command line. */
export const executorNames = ['builtin', 'aider', 'claude', 'codex', 'opencode', 'gemini'] as const;
export type ExecutorName = (typeof executorNames)[number];

export const executorNameSchema = z.enum(executorNames);

/** One executor in `GET /executors`. */
export const executorStatusSchema = z.object({
  name: executorNameSchema,
  title: z.string(),
  installed: z.boolean(),
  version: z.string().nullable(),
  path: z.string().nullable(),
  install: z.string().nullable(),
  problem: z.string().optional(),
});
