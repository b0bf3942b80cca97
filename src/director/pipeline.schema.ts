import { z } from 'zod';
import { idSchema, label, timestampSchema } from '../core/schema-helpers.js';


export const pipelineSchema = z
  .object({
    project_id: idSchema,
    nodes: z.array(z.string()).describe('Roles in order, e.g. ["pm", "dev", "qa", "security", "documentation"]'),
    max_attempts: z.number().int().describe('Attempts a task gets before it is blocked: a failed gate, a failed run, or one interrupted after it changed files, each uses one'),
    check_timeout_seconds: z.number().int().describe('How long one acceptance check may run'),
    is_default: z.boolean().describe('True while the project has not set a pipeline of its own'),
    updated_at: timestampSchema.nullable(),
  })
  .meta({ id: 'Pipeline' });

export const pipelineUpdateSchema = z
  .strictObject({
    nodes: z
      .array(label(100))
      .min(1, 'must name at least one role, e.g. ["dev"]')
      .max(20, 'must name at most 20 roles')
      .describe('Roles by name, in order; each at most once'),
    max_attempts: z.number().int().min(1).max(20).optional().describe('Default 3'),
    check_timeout_seconds: z.number().int().min(1).max(3600).optional().describe('Default 300 (at most an hour)'),
  })
  .meta({ id: 'PipelineUpdate' });

export type Pipeline = z.output<typeof pipelineSchema>;
export type PipelineUpdate = z.output<typeof pipelineUpdateSchema>;
