import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { CommentService } from '../comments/comment.service.js';
import { ConflictError } from '../core/errors.js';
import { OneAtATime } from '../core/one-at-a-time.js';
import { projectBaseBranch, projectRemote } from '../projects/project-settings.js';
import type { Project } from '../projects/project.schema.js';
import type { ProjectService } from '../projects/project.service.js';
import type { Task } from '../tasks/task.schema.js';
import type { TaskService } from '../tasks/task.service.js';
import { WorkspaceGit, type GitIdentity } from '../workspace/git.js';
import type { RemoteClones } from '../workspace/remote-clones.js';
import { remoteTaskRef, taskBranch, type TaskWorktrees } from '../workspace/task-worktrees.js';
import { workspaceNotHere } from '../workspace/workspace-presence.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import type { RunCheckouts } from './run-checkout.js';
import type { RunService } from './run.service.js';
import type { TaskMergeRequest, TaskMergeResult } from './task-merge.schema.js';
import { runCommentAuthor } from '../context/task-prompt.js';

export interface TaskMergeDependencies {
  tasks: TaskService;
  projects: ProjectService;
  runs: RunService;
  comments: CommentService;
  workspaces: WorkspaceRoot;
  worktrees: TaskWorktrees;
  clones: RemoteClones;
  checkouts: RunCheckouts;
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


/** What both ways of merging share once the branches are known. */
interface Plan {
  task: Task;
  project: Project;
  repository: WorkspaceGit;
  branch: string;
  tip: string;
  target: string;
  targetTip: string;
  request: TaskMergeRequest;
}

/**
 * Merges a task's branch (`wfhub/task-<id>`, where its runs committed) into the project's base
 * branch. Every check is made before anything is written: conflicts (found with `git merge-tree`,
 * touching no working tree), a target branch checked out in another worktree, and, when the
 * target is checked out in the workspace, local changes the merge would overwrite; the user's
 * work in progress in files the merge does not touch stays as it was. A project with a git
 * remote has the merge pushed; where this process cannot see the workspace, the merge is made in
 * its clone of the remote and pushed only if the target did not move meanwhile.
 */
export class TaskMerger {
  /** Merges in this process go one at a time: two into one checked-out branch would mix their files. */
  private readonly merges = new OneAtATime<'merge'>();

  constructor(private readonly dependencies: TaskMergeDependencies) {}

  merge(taskId: number, request: TaskMergeRequest): Promise<TaskMergeResult> {
    return this.merges.run('merge', () => this.mergeAlone(taskId, request));
  }

  private async mergeAlone(taskId: number, request: TaskMergeRequest): Promise<TaskMergeResult> {
    const { tasks, projects, runs, checkouts } = this.dependencies;
    const task = await tasks.get(taskId);
    const project = await projects.get(task.project_id);
    const active = await runs.activeForTask(task.id);
    if (active) {
      throw new ConflictError('run_active', `Run ${active.id} of task ${task.id} is ${active.status}: merge once it has ended, or cancel it with POST /runs/${active.id}/cancel.`, {
        run_id: active.id,
      });
    }
    if (await checkouts.seesWorkspace(project)) return this.mergeInWorkspace(task, project, request);
    const remote = projectRemote(project);
    if (!remote) throw workspaceNotHere(project, this.dependencies.workspaces, 'its tasks cannot be merged');
    return this.mergeOnRemote(task, project, remote, request);
  }

  private noBranch(task: Task, project: Project): ConflictError {
    if (task.status === 'done') {
      return new ConflictError('no_task_branch', `Task ${task.id} has no branch: it is done, and its branch was merged and removed. Nothing is left to merge.`);
    }
    return new ConflictError(
      'no_task_branch',
      project.settings.isolation === 'worktree' || projectRemote(project)
        ? `Task ${task.id} has no branch yet: trigger it first (POST /tasks/${task.id}/trigger).`
        : `Task ${task.id} has no branch of its own: project ${project.id} works in place (settings.isolation), so its runs commit straight to the workspace's branch. Set "isolation": "worktree" to give each task a branch to merge.`,
    );
  }

  private async mergeInWorkspace(task: Task, project: Project, request: TaskMergeRequest): Promise<TaskMergeResult> {
    const { workspaces, worktrees, gitIdentity } = this.dependencies;
    const branch = taskBranch(task.id);
    const main = new WorkspaceGit(workspaces.pathOf(project.workspace_path), gitIdentity);
    if (!(await main.isRepository())) throw this.noBranch(task, project);
    const remote = projectRemote(project);
    const tip = await this.taskTip(main, task, project, remote);

    const worktree = await worktrees.open(main, project.id, task.id);
    if (worktree) {
      const changes = (await worktree.status()).changes;
      if (changes.length > 0) {
        throw new ConflictError(
          'worktree_dirty',
          `Task ${task.id}'s worktree has changes that are not committed (${changes.map((change) => change.path).slice(0, 10).join(', ')}): commit or discard them in ${worktree.dir} first${project.settings.auto_commit === false ? ', or turn settings.auto_commit back on and run the task again' : ''}.`,
          { worktree: worktree.dir, files: changes.map((change) => change.path) },
        );
      }
    }

    const target = request.target ?? projectBaseBranch(project) ?? (await main.currentBranch());
    if (!target) {
      throw new ConflictError('no_target_branch', `The workspace's HEAD is not on a branch: name the branch to merge into with {"target": "main"}, or set the project's settings.base_branch.`);
    }
    const targetTip = await this.targetTip(main, project, target, branch);
    const plan: Plan = { task, project, repository: main, branch, tip, target, targetTip, request };
    await this.refuseOperationInProgress(main);
    const early = await this.check(plan);
    if (early) return early;

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
    const merged = await this.mergeTree(plan);
    if ('result' in merged) return merged.result;
    // With the target checked out here, its files move as `git checkout` would move them: first
    // checked (dry runs too), refused if a file the merge changes has changes not committed.
    if (holders.length > 0) {
      // Files only touched (same content, new time stamps) are not changes.
      await main.exec(['update-index', '-q', '--refresh']);
      const tried = await main.exec(['read-tree', '-n', '-m', '-u', targetTip, merged.tree]);
      if (tried.code !== 0 && /index\.lock/.test(tried.stderr)) {
        throw new ConflictError('workspace_busy', `Another git command is working in the workspace (its index is locked): merge again once it is done. Git said: ${tried.stderr.trim()}`);
      }
      if (tried.code !== 0) {
        throw new ConflictError(
          'local_changes',
          `Merging task ${task.id} would overwrite changes in the workspace that are not committed; nothing was changed. Commit or stash them, then merge again. Git said: ${tried.stderr.trim()}`,
          { target },
        );
      }
    }
    if (request.dry_run) return this.mergeable(plan, merged.files);

    const commit = await this.commit(plan, merged.tree);
    if (holders.length > 0) {
      // The user's uncommitted work first, kept where nothing can lose it.
      await main.snapshot(mergeSnapshotRef(task.id, new Date()), `wfhub: the workspace before merging task ${task.id}`);
      await main.run(['read-tree', '-m', '-u', targetTip, commit]);
    }
    await main.run(['update-ref', '-m', `wfhub: merge task ${task.id}`, `refs/heads/${target}`, commit, targetTip]);
    let push: { pushed: boolean; error: string | null } = {
      pushed: false,
      error: request.push && !remote ? `project ${project.id} has no git_remote to push to (settings.git_remote)` : null,
    };
    if (remote && request.push !== false) {
      const pushed = await main.exec(['push', '-q', '--', remote, `refs/heads/${target}:refs/heads/${target}`]);
      push = pushed.code === 0 ? { pushed: true, error: null } : { pushed: false, error: pushed.stderr.trim() || 'git push failed' };
      // The remote's task branch goes too, only if nobody pushed to it since it was read.
      const theirs = await main.resolve(remoteTaskRef(task.id));
      if (push.pushed && theirs) await main.exec(['push', '-q', `--force-with-lease=refs/heads/${branch}:${theirs}`, '--', remote, `:refs/heads/${branch}`]);
    }
    await this.cleanUp(plan);
    return this.done(plan, commit, merged.files, push);
  }

  /**
   * The task branch's tip: the local branch, or the remote's when runs elsewhere pushed newer
   * commits (the local one is then behind it). Refused when they went separate ways.
   */
  private async taskTip(main: WorkspaceGit, task: Task, project: Project, remote: string | undefined): Promise<string> {
    const branch = taskBranch(task.id);
    const local = await main.resolve(`refs/heads/${branch}`);
    const theirs = remote ? await main.fetchBranch(remote, branch, remoteTaskRef(task.id)) : undefined;
    if (!local && !theirs) throw this.noBranch(task, project);
    if (!local || !theirs || local === theirs) return (local ?? theirs)!;
    if (await main.isAncestor(local, theirs)) return theirs;
    if (await main.isAncestor(theirs, local)) return local;
    throw new ConflictError(
      'branch_diverged',
      `Task ${task.id}'s branch ${branch} has commits here and other commits on ${remote}: bring them together by hand, then merge again.`,
    );
  }

  private async targetTip(repository: WorkspaceGit, project: Project, target: string, branch: string, ref = `refs/heads/${target}`): Promise<string> {
    if (target === branch) throw new ConflictError('invalid_target', `A branch cannot be merged into itself: name another target than ${branch}.`);
    const tip = await repository.resolve(ref);
    if (!tip) {
      throw new ConflictError('target_missing', `There is no branch "${target}" in project ${project.id}'s repository: create it, or name another with {"target": ...}.`, { target });
    }
    return tip;
  }

  /** Answers at once when there is nothing to merge. */
  private async check(plan: Plan): Promise<TaskMergeResult | undefined> {
    if (!(await plan.repository.isAncestor(plan.tip, plan.targetTip))) return undefined;
    const result: TaskMergeResult = { ...this.base(plan), status: 'up_to_date', commit: plan.targetTip, files: [], conflicts: [], pushed: false, push_error: null };
    if (plan.request.dry_run) return result;
    await this.cleanUp(plan);
    const { comments } = this.dependencies;
    await this.markDone(plan);
    await comments.create(plan.task.id, { author: runCommentAuthor, body: `${plan.branch} is already in ${plan.target} (at ${plan.targetTip.slice(0, 12)}): nothing to merge.` });
    return result;
  }

  /**
   * The task's worktree and branch go once merged, unless a run of the task started meanwhile:
   * it works there, and its commits are for the next merge.
   */
  private async cleanUp(plan: Plan): Promise<void> {
    if (await this.dependencies.runs.activeForTask(plan.task.id)) return;
    await this.dependencies.worktrees.remove(plan.repository, plan.project.id, plan.task.id, { keepBranch: false, merged: true });
  }

  /** A rebase, merge, cherry-pick or revert the user has under way in the workspace is left to finish first. */
  private async refuseOperationInProgress(main: WorkspaceGit): Promise<void> {
    for (const [name, what] of [
      ['rebase-merge', 'a rebase'],
      ['rebase-apply', 'a rebase'],
      ['MERGE_HEAD', 'a merge'],
      ['CHERRY_PICK_HEAD', 'a cherry-pick'],
      ['REVERT_HEAD', 'a revert'],
    ] as const) {
      const where = (await main.run(['rev-parse', '--path-format=absolute', '--git-path', name])).trim();
      if (existsSync(where)) {
        throw new ConflictError('operation_in_progress', `The workspace has ${what} under way: finish or abort it (git ${what.split(' ')[1]} --continue or --abort), then merge.`);
      }
    }
  }

  private base(plan: Plan) {
    return { task_id: plan.task.id, branch: plan.branch, target: plan.target, dry_run: plan.request.dry_run === true };
  }

  /** The merged tree, or the answer: a conflict (409, or the list on a dry run) or, on a dry run, mergeable. */
  private async mergeTree(plan: Plan): Promise<{ tree: string; files: string[] } | { result: TaskMergeResult }> {
    const { repository, targetTip, tip, task, target, branch } = plan;
    const files = (await repository.run(['diff', '--name-only', '-z', '--no-renames', `${targetTip}...${tip}`])).split('\0').filter(Boolean).sort();
    const merged = await repository.mergeTree(targetTip, tip);
    if (merged.tree === undefined) {
      if (plan.request.dry_run) return { result: { ...this.base(plan), status: 'conflict', commit: null, files, conflicts: merged.conflicts, pushed: false, push_error: null } };
      throw new ConflictError(
        'merge_conflict',
        `Task ${task.id}'s branch conflicts with ${target} in ${merged.conflicts.join(', ')}: nothing was changed. Resolve it by hand: with ${target} checked out, git merge ${branch}, fix the conflicts and commit; the task's merge then answers up_to_date and marks it done.`,
        { conflicts: merged.conflicts, target, branch },
      );
    }
    return { tree: merged.tree, files };
  }

  private mergeable(plan: Plan, files: string[]): TaskMergeResult {
    return { ...this.base(plan), status: 'mergeable', commit: null, files, conflicts: [], pushed: false, push_error: null };
  }

  private async commit(plan: Plan, tree: string): Promise<string> {
    const message = plan.request.message ?? `Merge task ${plan.task.id}: ${plan.task.title.split('\n')[0]!.slice(0, 72)} (${plan.branch})`;
    return (await plan.repository.run(['commit-tree', tree, '-p', plan.targetTip, '-p', plan.tip, '-m', message])).trim();
  }

  /**
   * A merged task is done, unless it is in a pipeline whose gates have not passed yet: then its
   * pipeline decides (the merge itself stands).
   */
  private async markDone(plan: Plan): Promise<boolean> {
    if (plan.task.status === 'done') return true;
    try {
      await this.dependencies.tasks.update(plan.task.id, { status: 'done' });
      return true;
    } catch (error) {
      if (error instanceof ConflictError && error.code === 'gates_not_passed') return false;
      throw error;
    }
  }

  private async done(plan: Plan, commit: string, files: string[], push: { pushed: boolean; error: string | null }): Promise<TaskMergeResult> {
    const { comments } = this.dependencies;
    const marked = await this.markDone(plan);
    const lines = [`Merged ${plan.branch} into ${plan.target} as ${commit.slice(0, 12)}.`, '', `Files: ${files.join(', ') || '(none)'}`];
    if (push.pushed) lines.push('', `Pushed ${plan.target} to ${projectRemote(plan.project)}.`);
    else if (push.error) lines.push('', `Not pushed: ${push.error}`);
    if (!marked) lines.push('', 'The task stays where its pipeline has it: it is done once its gates pass.');
    await comments.create(plan.task.id, { author: runCommentAuthor, body: lines.join('\n') });
    return { ...this.base(plan), status: 'merged', commit, files, conflicts: [], pushed: push.pushed, push_error: push.error };
  }

  /**
   * No workspace here: the merge is made in this process's clone of the remote and pushed to
   * the target only if the target is still where it was (`--force-with-lease`), so nobody's
   * commits are lost; then the remote's task branch is deleted.
   */
  private async mergeOnRemote(task: Task, project: Project, remote: string, request: TaskMergeRequest): Promise<TaskMergeResult> {
    const { clones } = this.dependencies;
    const clone = await clones.ensure(project.id, remote);
    const branch = taskBranch(task.id);
    const tip = await clone.resolve(`refs/remotes/origin/${branch}`);
    if (!tip) throw this.noBranch(task, project);
    const target = request.target ?? projectBaseBranch(project) ?? (await clones.defaultBranch(clone));
    if (!target) throw new ConflictError('no_target_branch', `The remote has no default branch: name the branch to merge into with {"target": "main"}, or set the project's settings.base_branch.`);
    const targetTip = await this.targetTip(clone, project, target, branch, `refs/remotes/origin/${target}`);
    const plan: Plan = { task, project, repository: clone, branch, tip, target, targetTip, request };
    const early = await this.check(plan);
    if (early) return early;
    const merged = await this.mergeTree(plan);
    if ('result' in merged) return merged.result;
    if (request.dry_run) return this.mergeable(plan, merged.files);
    const commit = await this.commit(plan, merged.tree);
    const pushed = await clone.exec(['push', '-q', `--force-with-lease=refs/heads/${target}:${targetTip}`, '--', 'origin', `${commit}:refs/heads/${target}`]);
    if (pushed.code !== 0) {
      throw new ConflictError(
        'push_failed',
        `Could not push the merge to ${target} on ${remote} (nothing was changed there): ${pushed.stderr.trim()}. If ${target} moved meanwhile, merge again.`,
        { target },
      );
    }
    await clone.exec(['push', '-q', `--force-with-lease=refs/heads/${branch}:${tip}`, '--', 'origin', `:refs/heads/${branch}`]);
    await this.cleanUp(plan);
    return this.done(plan, commit, merged.files, { pushed: true, error: null });
  }
}
