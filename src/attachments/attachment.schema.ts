import { z } from 'zod';
import { idSchema, timestampSchema } from '../core/schema-helpers.js';

export const attachmentSchema = z
  .object({
    id: idSchema,
    task_id: idSchema,
    file_name: z.string(),
    content_type: z.string(),
    size_bytes: z.number().int(),
    download_url: z.string(),
    description: z.string().nullable().describe('What a vision model saw in the image (once a run or chat has shown it to one)'),
    description_model: z.string().nullable().describe('The vision model that described it'),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Attachment' });

export type Attachment = z.output<typeof attachmentSchema>;
