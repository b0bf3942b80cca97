import { z } from 'zod';
import { idSchema, timestampSchema } from '../core/schema-helpers.js';

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
