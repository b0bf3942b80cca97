import { z } from 'zod';
import { timestampSchema } from '../core/schema-helpers.js';

export const workerSchema = z
  .object({
    id: z.string(),
    host: z.string(),
    pid: z.number().int(),
    kind: z.enum(['serve', 'worker']),
    workspaces_dir: z.string().describe('The workspaces dir it sees: it runs the projects whose folder is there'),
    workspaces_id: z.string().describe("That dir's id (projects have the same workspaces_id)"),
    concurrency: z.number().int().describe('Runs at once'),
    version: z.string(),
    online: z.boolean().describe('Seen in the last 90 seconds'),
    started_at: timestampSchema,
    seen_at: timestampSchema,
  })
  .meta({ id: 'Worker' });

export type Worker = z.output<typeof workerSchema>;
