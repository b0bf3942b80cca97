import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { WorkspaceGit, type GitIdentity } from './git.js';

/** The branch a task's runs work on when its project isolates them. */
export function taskBranch(taskId: number): string {
  return `wfhub/task-${taskId}`;
}

/** Where the commits of a deleted task's branch are kept, so deleting a task loses no work. */
export function deletedTaskRef(taskId: number): string {
  return `refs/wfhub/deleted/task-${taskId}`;
}

export interface TaskCheckout {
  /** The worktree folder: the run's workspace. */
  dir: string;
  branch: string;
  /** The worktree's own git folder, inside the main repository's: what `git` in the worktree writes. */
  gitDir: string;
  /** The main repository's git folder, which the worktree reads (objects, refs). */
  commonDir: string;
}

/**
 * A git worktree per task (`worktree` isolation): branch `wfhub/task-<id>` checked out under
 * `<data dir>/worktrees/<project id>/task-<id>`, so runs of different tasks work side by side and
 * the user's own checkout is never touched. Removing a worktree removes only its folder and its
 * entry in the repository; the repository's objects, and the task's commits, stay.
 */
export class TaskWorktrees {
  /** Worktree changes in one repository are made one at a time (git locks its admin files). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    readonly root: string,
    private readonly identity: GitIdentity,
  ) {}

  pathFor(projectId: number, taskId: number): string {
    return path.join(this.root, String(projectId), `task-${taskId}`);
  }

  private serialized<T>(repository: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(repository) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.queues.set(repository, next);
    void next.finally(() => {
      if (this.queues.get(repository) === next) this.queues.delete(repository);
    }).catch(() => undefined);
    return next;
  }

  /**
   * The task's worktree, made when missing: its branch from `base` (a branch or commit of the
   * main repository) the first time, and as it was on later runs. A branch already checked out
   * in a folder that still exists is used there.
   */
  async ensure(repository: WorkspaceGit, projectId: number, taskId: number, base: string): Promise<TaskCheckout> {
    return this.serialized(repository.dir, async () => {
      const branch = taskBranch(taskId);
      const wanted = this.pathFor(projectId, taskId);
      let found = (await repository.worktrees()).find((entry) => entry.branch === branch);
      if (found && !existsSync(found.path)) {
        // A folder removed by hand (or a data dir wiped): git forgets it, the branch stays.
        await repository.run(['worktree', 'prune']);
        found = undefined;
      }
      let dir = found?.path;
      if (!dir) {
        if (existsSync(wanted)) await rm(wanted, { recursive: true, force: true });
        await mkdir(path.dirname(wanted), { recursive: true });
        if (await repository.resolve(`refs/heads/${branch}`)) {
          await repository.run(['worktree', 'add', '-q', wanted, branch]);
        } else {
          await repository.run(['worktree', 'add', '-q', '-b', branch, wanted, base]);
        }
        dir = wanted;
      }
      const worktree = new WorkspaceGit(dir, this.identity);
      const [gitDir, commonDir] = (await worktree.run(['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir'])).trim().split('\n');
      return { dir, branch, gitDir: gitDir!, commonDir: commonDir! };
    });
  }

  /** The folder of the task's worktree when it has one. */
  async find(repository: WorkspaceGit, taskId: number): Promise<string | undefined> {
    const found = (await repository.worktrees()).find((entry) => entry.branch === taskBranch(taskId));
    return found && existsSync(found.path) ? found.path : undefined;
  }

  /**
   * Removes the task's worktree. With `keepBranch: false` the branch goes too, its last commit
   * kept under refs/wfhub/deleted/task-<id> unless `merged` says it is already in another branch.
   */
  async remove(repository: WorkspaceGit, projectId: number, taskId: number, options: { keepBranch: boolean; merged?: boolean }): Promise<void> {
    await this.serialized(repository.dir, async () => {
      const branch = taskBranch(taskId);
      const dir = (await this.find(repository, taskId)) ?? this.pathFor(projectId, taskId);
      await repository.run(['worktree', 'remove', '--force', '--force', dir], { allowFailure: true });
      await rm(dir, { recursive: true, force: true });
      await repository.run(['worktree', 'prune']);
      if (options.keepBranch) return;
      const tip = await repository.resolve(`refs/heads/${branch}`);
      if (!tip) return;
      if (!options.merged) await repository.run(['update-ref', deletedTaskRef(taskId), tip]);
      await repository.run(['update-ref', '-d', `refs/heads/${branch}`, tip]);
    });
  }

  /**
   * Removes the worktree folders of tasks that no longer exist (deleted while this process was
   * not running, or with their project): folders only; the repositories forget them at their
   * next `worktree prune`.
   */
  async sweep(exists: (projectId: number, taskId: number) => Promise<boolean>): Promise<number> {
    let removed = 0;
    const projects = await readdir(this.root).catch(() => [] as string[]);
    for (const project of projects) {
      if (!/^\d+$/.test(project)) continue;
      const folder = path.join(this.root, project);
      for (const entry of await readdir(folder).catch(() => [] as string[])) {
        const match = /^task-(\d+)$/.exec(entry);
        if (!match || (await exists(Number(project), Number(match[1])))) continue;
        await rm(path.join(folder, entry), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
