import { z } from 'zod';
import { label, text } from '../core/schema-helpers.js';

export const taskMergeRequestSchema = z
  .strictObject({
    target: label(200)
      .optional()
      .describe("The branch to merge into; the project's settings.base_branch, else the workspace's current branch"),
    dry_run: z.boolean().optional().describe('Only check: answer whether the branch merges cleanly and what it changes, writing nothing'),
    message: text({ min: 1, max: 5000 }).optional().describe('The merge commit message'),
    push: z.boolean().optional().describe("With a git_remote: push the target branch after merging (default true)"),
  })
  .meta({ id: 'TaskMergeRequest' });

export const taskMergeResultSchema = z
  .object({
    task_id: z.number().int(),
    branch: z.string().describe("The task's branch"),
    target: z.string().describe('The branch merged into'),
    dry_run: z.boolean(),
    status: z
      .enum(['merged', 'up_to_date', 'mergeable', 'conflict'])
      .describe('merged; up_to_date (nothing to merge); with dry_run: mergeable or conflict'),
    commit: z.string().nullable().describe('The merge commit (the target tip when up to date)'),
    files: z.array(z.string()).describe('Files the branch changes'),
    conflicts: z.array(z.string()).describe('Files that conflict (dry_run only; a real merge answers 409)'),
    pushed: z.boolean().describe("Whether the target was pushed to the project's git remote"),
    push_error: z.string().nullable().describe('Why the push failed (the merge itself stands)'),
  })
  .meta({ id: 'TaskMergeResult' });

export type TaskMergeRequest = z.output<typeof taskMergeRequestSchema>;
export type TaskMergeResult = z.output<typeof taskMergeResultSchema>;
