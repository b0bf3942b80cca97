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
    author: label(100)
      .refine((value) => value.toLowerCase() !== 'wfhub', 'is kept for the comments wfhub writes itself (run summaries): sign as yourself')
      .optional()
      .describe('Who wrote it; defaults to "user" ("wfhub" is kept for wfhub\'s own comments)'),
  })
  .meta({ id: 'CommentCreate' });

export const commentUpdateSchema = z
  .strictObject({ body: text({ min: 1, max: 200_000 }) })
  .meta({ id: 'CommentUpdate' });

export type Comment = z.output<typeof commentSchema>;
export type CommentCreate = z.output<typeof commentCreateSchema>;
export type CommentUpdate = z.output<typeof commentUpdateSchema>;
