import type { Services } from '../../app/services.js';
import { taskMergeRequestSchema, taskMergeResultSchema } from '../../runs/task-merge.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function taskMergeRoutes(app: App, services: Services) {
  typed(app).post('/tasks/:id/merge', {
    config: { entity: 'task' },
    schema: {
      tags: ['runs'],
      summary: "Merge a task's branch (wfhub/task-<id>) into the project's base branch",
      description:
        'For projects with `"isolation": "worktree"`, where each task\'s runs commit on its own branch. Everything is checked before anything is ' +
        'written: 409 `merge_conflict` (with the files), `branch_checked_out_elsewhere`, `local_changes` (uncommitted changes in the workspace that ' +
        'the merge would overwrite; other uncommitted work is kept), `worktree_dirty`, `run_active`. On success the task is done, its worktree and ' +
        'branch are removed, and a comment records the merge commit. `dry_run: true` only answers whether it would merge.',
      params: idParams,
      body: taskMergeRequestSchema.nullish(),
      response: { 200: taskMergeResultSchema, ...errorResponses },
    },
    handler: async (request) => services.merger.merge(Number(request.params.id), request.body ?? {}),
  });
}
