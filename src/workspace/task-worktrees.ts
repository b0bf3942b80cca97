import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError } from '../core/errors.js';
import { OneAtATime } from '../core/one-at-a-time.js';
import { WorkspaceGit, type GitIdentity } from './git.js';
import { isInside } from './workspace-root.js';

/** The branch a task's runs work on when its project isolates them. */
export function taskBranch(taskId: number): string {
  return `wfhub/task-${taskId}`;
}

/** Where the task branch as a project's git remote has it is fetched to. */
export function remoteTaskRef(taskId: number): string {
  return `refs/wfhub/remote/task-${taskId}`;
}

/** Where the last state of a deleted task's branch is kept, so deleting a task loses no work. */
export function deletedTaskRef(taskId: number): string {
  return `refs/wfhub/deleted/task-${taskId}`;
}

export interface TaskCheckout {
  /** The worktree folder: the run's workspace. */
  dir: string;
  branch: string;
  /** git in the worktree, through its admin folder as the main repository records it. */
  repository: WorkspaceGit;
  /** The worktree's own git folder, inside the main repository's. */
  gitDir: string;
  /** The main repository's git folder, which the worktree reads (objects, refs). */
  commonDir: string;
}

function real(target: string): string {
  try {
    return realpathSync(target);
  } catch {
    return path.resolve(target);
  }
}

/**
 * A git worktree per task (`worktree` isolation): branch `wfhub/task-<id>` checked out under
 * `<data dir>/worktrees/<project id>/task-<id>`, so runs of different tasks work side by side and
 * the user's own checkout is never touched. A task's worktree is only ever the folder at that
 * path: no other checkout of the branch (the user's own) is used or removed. Removing a worktree
 * removes only that folder and its entry in the repository; the repository's objects stay, and
 * the task's last state is kept under a ref.
 */
export class TaskWorktrees {
  /** Worktree changes in one repository are made one at a time (git locks its admin files). */
  private readonly perRepository = new OneAtATime<string>();

  constructor(
    readonly root: string,
    private readonly identity: GitIdentity,
  ) {}

  pathFor(projectId: number, taskId: number): string {
    return path.join(this.root, String(projectId), `task-${taskId}`);
  }

  /** The folder holding a project's task worktrees. */
  projectFolder(projectId: number): string {
    return path.join(this.root, String(projectId));
  }

  /** Runs `work` alone among the changes to `repository`'s worktrees made in this process. */
  private serialized<T>(repository: WorkspaceGit, work: () => Promise<T>): Promise<T> {
    return this.perRepository.run(real(repository.dir), work);
  }

  /** The main repository's git folder. */
  private async commonDir(repository: WorkspaceGit): Promise<string> {
    return (await repository.run(['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
  }

  /**
   * The admin folder the repository keeps for the worktree at `dir` (its `gitdir` file names the
   * worktree), read from the repository rather than from the worktree's own `.git` file.
   */
  private async adminDir(commonDir: string, dir: string): Promise<string | undefined> {
    const folder = path.join(commonDir, 'worktrees');
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      const gitdir = (await readFile(path.join(folder, name, 'gitdir'), 'utf8').catch(() => '')).trim();
      if (gitdir && real(path.dirname(gitdir)) === real(dir)) return path.join(folder, name);
    }
    return undefined;
  }

  /** The task's worktree, when the repository has one at its path (never the main checkout). */
  async find(repository: WorkspaceGit, projectId: number, taskId: number): Promise<string | undefined> {
    const wanted = real(this.pathFor(projectId, taskId));
    const [, ...linked] = await repository.worktrees();
    const found = linked.find((entry) => real(entry.path) === wanted);
    return found && existsSync(found.path) ? found.path : undefined;
  }

  /** git in the task's worktree, through the main repository's record of it; undefined when it has none. */
  async open(repository: WorkspaceGit, projectId: number, taskId: number): Promise<WorkspaceGit | undefined> {
    const dir = await this.find(repository, projectId, taskId);
    if (!dir) return undefined;
    const gitDir = await this.adminDir(await this.commonDir(repository), dir);
    return gitDir ? new WorkspaceGit(real(dir), this.identity, gitDir) : undefined;
  }

  /**
   * The task's worktree, made when missing: its branch from `base` (a branch or commit of the
   * main repository) the first time, and as it was on later runs. Refused when the branch is
   * checked out in another checkout (the user's, say), or when the worktree is no longer on it.
   */
  async ensure(repository: WorkspaceGit, projectId: number, taskId: number, base: string): Promise<TaskCheckout> {
    return this.serialized(repository, async () => {
      const branch = taskBranch(taskId);
      const dir = this.pathFor(projectId, taskId);
      if (!(await this.find(repository, projectId, taskId))) {
        // Entries whose folder is gone (removed by hand, a data dir wiped) are forgotten first.
        await repository.run(['worktree', 'prune']);
        const holder = (await repository.worktrees()).find((entry) => entry.branch === branch);
        if (holder) {
          throw new ConflictError(
            'branch_checked_out_elsewhere',
            `Task ${taskId}'s branch ${branch} is checked out in ${holder.path}: switch that checkout to another branch, then run the task again.`,
            { branch, worktree: holder.path },
          );
        }
        // Our own path, but the repository does not know it (the workspace was cloned again, say):
        // it may hold work, so it is moved aside, never removed.
        if (existsSync(dir) && isInside(this.root, path.resolve(dir))) await rename(dir, `${dir}.set-aside-${new Date().toISOString().replace(/[:.]/g, '-')}`);
        await mkdir(path.dirname(dir), { recursive: true });
        if (await repository.resolve(`refs/heads/${branch}`)) await repository.run(['worktree', 'add', '-q', dir, branch]);
        else await repository.run(['worktree', 'add', '-q', '-b', branch, dir, base]);
      }
      const commonDir = await this.commonDir(repository);
      const gitDir = await this.adminDir(commonDir, dir);
      if (!gitDir) throw new ConflictError('worktree_unknown', `The repository has no record of task ${taskId}'s worktree at ${dir}: remove the folder and run the task again.`);
      const worktree = new WorkspaceGit(real(dir), this.identity, gitDir);
      const head = (await worktree.run(['symbolic-ref', '-q', 'HEAD'], { allowFailure: true })).trim();
      if (head !== `refs/heads/${branch}`) {
        throw new ConflictError(
          'worktree_off_branch',
          `Task ${taskId}'s worktree (${dir}) is not on its branch ${branch} any more (${head || 'a detached HEAD'}): check the branch out there again (git checkout ${branch}), then run the task again.`,
        );
      }
      return { dir: real(dir), branch, repository: worktree, gitDir, commonDir };
    });
  }

  /**
   * Removes the task's worktree. With `keepBranch: false` the branch goes too; unless `merged`
   * says it is in another branch already, its last state is kept under
   * refs/wfhub/deleted/task-<id>, uncommitted changes in the worktree included.
   */
  async remove(repository: WorkspaceGit, projectId: number, taskId: number, options: { keepBranch: boolean; merged?: boolean }): Promise<void> {
    await this.serialized(repository, async () => {
      const branch = taskBranch(taskId);
      const dir = this.pathFor(projectId, taskId);
      const tip = await repository.resolve(`refs/heads/${branch}`);
      let kept = tip;
      const worktree = await this.open(repository, projectId, taskId);
      if (worktree && !options.merged && tip) {
        const changes = (await worktree.status()).changes;
        if (changes.length > 0) kept = await worktree.snapshotCommit(`wfhub: task ${taskId}'s worktree when the task was deleted`);
      }
      if (await this.find(repository, projectId, taskId)) await repository.run(['worktree', 'remove', '--force', '--force', dir], { allowFailure: true });
      if (isInside(this.root, path.resolve(dir))) await rm(dir, { recursive: true, force: true });
      await repository.run(['worktree', 'prune']);
      if (options.keepBranch || !tip) return;
      // A branch someone has checked out (the user, to look at the task's work) stays theirs.
      if ((await repository.worktrees()).some((entry) => entry.branch === branch)) return;
      if (!options.merged && kept) await repository.run(['update-ref', deletedTaskRef(taskId), kept]);
      await repository.run(['update-ref', '-d', `refs/heads/${branch}`, tip]);
    });
  }

  /**
   * Removes a deleted project's worktree folders, keeping their uncommitted changes under refs in
   * its repository; folders set aside are left for the user.
   */
  async removeProject(projectId: number): Promise<void> {
    const folder = this.projectFolder(projectId);
    for (const entry of await readdir(folder).catch(() => [] as string[])) {
      const match = /^task-(\d+)$/.exec(entry);
      if (match) await this.removeFolder(path.join(folder, entry), Number(match[1]));
    }
    await rmdir(folder).catch(() => undefined);
  }

  private async removeFolder(dir: string, taskId: number): Promise<void> {
    await this.keepUncommitted(dir, taskId).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }

  /** A swept worktree's uncommitted changes, kept under refs/wfhub/deleted/task-<id> in its repository. */
  private async keepUncommitted(dir: string, taskId: number): Promise<void> {
    const worktree = new WorkspaceGit(dir, this.identity);
    if (!(await worktree.isRepository()) || (await worktree.status()).changes.length === 0) return;
    const commit = await worktree.snapshotCommit(`wfhub: task ${taskId}'s worktree when the task was found deleted`);
    await worktree.run(['update-ref', deletedTaskRef(taskId), commit]);
  }

  /**
   * Removes the worktree folders of tasks that no longer exist (deleted while this process was
   * not running, or with their project): folders only, and only when `exists` says for certain
   * that the task is gone; the repositories forget them at their next `worktree prune`.
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
        await this.removeFolder(path.join(folder, entry), Number(match[1]));
        removed++;
      }
    }
    return removed;
  }
}
