import { z } from 'zod';
import { idSchema, label, text, timestampSchema } from '../core/schema-helpers.js';

export const nodeSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    directive: z.string(),
    model: z.string().nullable(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Node' });

export type Node = z.output<typeof nodeSchema>;

/** What a user may change in a role: its directive (the system prompt's opening) and its model. */
export const nodeUpdateSchema = z
  .object({
    directive: text({ max: 20_000 }).optional().describe("The role's instructions, the start of the agent's system prompt"),
    model: label(200).nullable().optional().describe('The model for runs in this role; null for the default'),
  })
  .strict()
  .meta({ id: 'NodeUpdate' });

export type NodeUpdate = z.output<typeof nodeUpdateSchema>;
