import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { CommentService } from '../comments/comment.service.js';
import { ConflictError } from '../core/errors.js';
import type { ProjectService } from '../projects/project.service.js';
import type { TaskService } from '../tasks/task.service.js';
import { GitError, WorkspaceGit, type GitIdentity } from '../workspace/git.js';
import { taskBranch, type TaskWorktrees } from '../workspace/task-worktrees.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import type { TaskMergeRequest, TaskMergeResult } from './task-merge.schema.js';
import type { RunService } from './run.service.js';
import { runCommentAuthor } from './task-prompt.js';

export interface TaskMergeDependencies {
  tasks: TaskService;
  projects: ProjectService;
  runs: RunService;
  comments: CommentService;
  workspaces: WorkspaceRoot;
  worktrees: TaskWorktrees;
  gitIdentity: GitIdentity;
}

/** Where the workspace's state before a merge is kept, so a merge can always be taken back by hand. */
export function mergeSnapshotRef(taskId: number, at: Date): string {
  return `refs/wfhub/merges/task-${taskId}/${at.toISOString().replace(/[:.]/g, '-')}`;
}

function samePath(a: string, b: string): boolean {
  const real = (target: string) => {
    try {
      return realpathSync(target);
    } catch {
      return path.resolve(target);
    }
  };
  return real(a) === real(b);
}

/**
 * Merges a task's branch (`wfhub/task-<id>`, where its runs committed in its worktree) into the
 * project's base branch. Every check is made before anything is written: conflicts (found with
 * `git merge-tree`, touching no working tree), a target branch checked out in another worktree,
 * and, when the target is checked out in the workspace, local changes the merge would overwrite.
 * The user's work in progress in files the merge does not touch stays as it was.
 */
export class TaskMerger {
  constructor(private readonly dependencies: TaskMergeDependencies) {}

  async merge(taskId: number, request: TaskMergeRequest): Promise<TaskMergeResult> {
    const { tasks, projects, runs, comments, workspaces, worktrees, gitIdentity } = this.dependencies;
    const task = await tasks.get(taskId);
    const project = await projects.get(task.project_id);
    const branch = taskBranch(task.id);
    const active = await runs.activeForTask(task.id);
    if (active) {
      throw new ConflictError('run_active', `Run ${active.id} of task ${task.id} is ${active.status}: merge once it has ended, or cancel it with POST /runs/${active.id}/cancel.`, {
        run_id: active.id,
      });
    }
    const main = new WorkspaceGit(workspaces.pathOf(project.workspace_path), gitIdentity);
    const tip = (await main.isRepository()) ? await main.resolve(`refs/heads/${branch}`) : undefined;
    if (!tip) {
      throw new ConflictError(
        'no_task_branch',
        project.settings.isolation === 'worktree'
          ? `Task ${task.id} has no branch yet: trigger it first (POST /tasks/${task.id}/trigger).`
          : `Task ${task.id} has no branch of its own: project ${project.id} works in place (settings.isolation), so its runs commit straight to the workspace's branch. Set "isolation": "worktree" to give each task a branch to merge.`,
      );
    }

    const worktree = await worktrees.find(main, task.id);
    if (worktree) {
      const changes = (await new WorkspaceGit(worktree, gitIdentity).status()).changes;
      if (changes.length > 0) {
        throw new ConflictError(
          'worktree_dirty',
          `Task ${task.id}'s worktree has changes that are not committed (${changes.map((change) => change.path).slice(0, 10).join(', ')}): commit or discard them in ${worktree} first, or turn settings.auto_commit back on and run the task again.`,
          { worktree, files: changes.map((change) => change.path) },
        );
      }
    }

    const target = request.target ?? (typeof project.settings.base_branch === 'string' ? project.settings.base_branch : await main.currentBranch());
    if (!target) {
      throw new ConflictError('no_target_branch', `The workspace's HEAD is not on a branch: name the branch to merge into with {"target": "main"}, or set the project's settings.base_branch.`);
    }
    if (target === branch) throw new ConflictError('invalid_target', `A branch cannot be merged into itself: name another target than ${branch}.`);
    const targetTip = await main.resolve(`refs/heads/${target}`);
    if (!targetTip) {
      throw new ConflictError('target_missing', `There is no branch "${target}" in project ${project.id}'s repository: create it, or name another with {"target": ...}.`, { target });
    }

    const base = { task_id: task.id, branch, target, dry_run: request.dry_run === true };
    if (await main.isAncestor(tip, targetTip)) {
      if (!request.dry_run) await worktrees.remove(main, project.id, task.id, { keepBranch: false, merged: true });
      return { ...base, status: 'up_to_date', commit: targetTip, files: [], conflicts: [] };
    }
    const files = (await main.run(['diff', '--name-only', '-z', '--no-renames', `${targetTip}...${tip}`])).split('\0').filter(Boolean).sort();
    const merged = await main.mergeTree(targetTip, tip);
    if (merged.tree === undefined) {
      if (request.dry_run) return { ...base, status: 'conflict', commit: null, files, conflicts: merged.conflicts };
      throw new ConflictError(
        'merge_conflict',
        `Task ${task.id}'s branch conflicts with ${target} in ${merged.conflicts.join(', ')}: nothing was changed. Resolve it by hand (git merge ${branch}), or run the task again on top of ${target}.`,
        { conflicts: merged.conflicts, target, branch },
      );
    }

    // The target checked out in another worktree would be left out of date, its next commit undoing the merge.
    const holders = (await main.worktrees()).filter((entry) => entry.branch === target);
    const elsewhere = holders.find((entry) => !samePath(entry.path, main.dir));
    if (elsewhere) {
      throw new ConflictError(
        'branch_checked_out_elsewhere',
        `Branch ${target} is checked out in another worktree (${elsewhere.path}): merging into it from here would leave that checkout behind. Switch it to another branch, or merge there.`,
        { target, worktree: elsewhere.path },
      );
    }
    const inWorkspace = holders.length > 0;
    if (request.dry_run) return { ...base, status: 'mergeable', commit: null, files, conflicts: [] };

    const message = request.message ?? `Merge task ${task.id}: ${task.title.split('\n')[0]!.slice(0, 72)} (${branch})`;
    const commit = (await main.run(['commit-tree', merged.tree, '-p', targetTip, '-p', tip, '-m', message])).trim();
    if (inWorkspace) {
      // The user's uncommitted work first, kept where nothing can lose it; then the checkout moves
      // as `git checkout` would, refusing if a file the merge changes has local changes.
      await main.snapshot(mergeSnapshotRef(task.id, new Date()), `wfhub: the workspace before merging task ${task.id}`);
      try {
        await main.run(['read-tree', '-m', '-u', targetTip, commit]);
      } catch (error) {
        const detail = error instanceof GitError ? error.stderr.trim() : String(error);
        throw new ConflictError(
          'local_changes',
          `Merging task ${task.id} would overwrite changes in the workspace that are not committed; nothing was changed. Commit or stash them, then merge again. Git said: ${detail}`,
          { target },
        );
      }
    }
    await main.run(['update-ref', '-m', `wfhub: merge task ${task.id}`, `refs/heads/${target}`, commit, targetTip]);
    await worktrees.remove(main, project.id, task.id, { keepBranch: false, merged: true });
    if (task.status !== 'done') await tasks.update(task.id, { status: 'done' });
    await comments.create(task.id, {
      author: runCommentAuthor,
      body: `Merged ${branch} into ${target} as ${commit.slice(0, 12)}.\n\nFiles: ${files.join(', ') || '(none)'}`,
    });
    return { ...base, status: 'merged', commit, files, conflicts: [] };
  }
}
