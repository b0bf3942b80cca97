import { z } from 'zod';

export const gitStatusSchema = z
  .object({
    repository: z.boolean().describe('false when the workspace is not a git repository yet (a first run makes it one)'),
    branch: z.string().nullable(),
    head: z.string().nullable(),
    /** `git status --porcelain` lines: two status letters, then the path. */
    changes: z.array(z.object({ status: z.string(), path: z.string() })),
  })
  .meta({ id: 'GitStatus' });

export const gitLogEntrySchema = z.object({ sha: z.string(), author: z.string(), date: z.string(), subject: z.string() }).meta({ id: 'GitCommit' });

export type GitStatus = z.output<typeof gitStatusSchema>;
