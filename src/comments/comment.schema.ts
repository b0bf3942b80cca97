import { z } from 'zod';
import { idSchema, label, text, timestampSchema } from '../core/schema-helpers.js';

export const commentSchema = z
  .object({
    id: idSchema,
    task_id: idSchema,
    author: z.string(),
    body: z.string(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Comment' });

export const commentCreateSchema = z
  .strictObject({
    body: text({ min: 1, max: 200_000 }),
    author: label(100).optional().describe('Who wrote it; defaults to "user"'),
  })
  .meta({ id: 'CommentCreate' });

export const commentUpdateSchema = z
  .strictObject({ body: text({ min: 1, max: 200_000 }) })
  .meta({ id: 'CommentUpdate' });

export type Comment = z.output<typeof commentSchema>;
export type CommentCreate = z.output<typeof commentCreateSchema>;
export type CommentUpdate = z.output<typeof commentUpdateSchema>;
