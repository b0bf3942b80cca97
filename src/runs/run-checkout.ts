import { ConflictError } from '../core/errors.js';
import { projectBaseBranch, projectRemote } from '../projects/project-settings.js';
import type { Project } from '../projects/project.schema.js';
import type { Task } from '../tasks/task.schema.js';
import { WorkspaceGit, type GitIdentity } from '../workspace/git.js';
import type { RemoteClones } from '../workspace/remote-clones.js';
import { remoteTaskRef, taskBranch, type TaskWorktrees } from '../workspace/task-worktrees.js';
import { seesWorkspace, workspaceNotHere } from '../workspace/workspace-presence.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import type { RunIsolation } from './run.schema.js';

/** Where a run works, and git there. */
export interface Checkout {
  repository: WorkspaceGit;
  isolation: RunIsolation;
  branch: string | undefined;
  /** Folders outside the checkout its commands see (a worktree's git folders). */
  mounts?: { path: string; writable: boolean }[];
  /** Where the task's branch is pushed after the run's commit (a project's git remote). */
  pushTo?: string;
}

export interface RunCheckoutDependencies {
  workspaces: WorkspaceRoot;
  worktrees: TaskWorktrees;
  clones: RemoteClones;
  gitIdentity: GitIdentity;
  /** On the embedded database one process does everything, so every workspace is this one's. */
  embedded: boolean;
}

/** Where, on a remote, the commit of an undone run is recorded. */
export function undoneRef(runId: number): string {
  return `refs/wfhub/undone/run-${runId}`;
}

/** Where the commits of a task branch that could not be pushed are kept when the remote moved on. */
export function unpushedRef(taskId: number, sha: string): string {
  return `refs/wfhub/unpushed/task-${taskId}/${sha.slice(0, 12)}`;
}


/**
 * Decides where a run works and prepares it: the workspace itself (`in-place`), the task's
 * worktree of it (`worktree`), or, on a worker that cannot see the workspace folder, the task's
 * worktree of this worker's own clone of the project's git remote (`clone`), whose branch is
 * pushed back after each run so every machine sees the same task branch.
 */
export class RunCheckouts {
  constructor(private readonly dependencies: RunCheckoutDependencies) {}

  /** Whether this process sees the project's workspace folder. */
  seesWorkspace(project: Project): Promise<boolean> {
    return seesWorkspace(project, this.dependencies.workspaces, this.dependencies.embedded);
  }

  /** Where a run of the project works here; a project with a git remote always works on task branches. */
  async isolationFor(project: Project): Promise<RunIsolation> {
    if (!(await this.seesWorkspace(project))) {
      if (!projectRemote(project)) throw workspaceNotHere(project, this.dependencies.workspaces, 'its runs cannot execute');
      return 'clone';
    }
    return project.settings.isolation === 'worktree' || (projectRemote(project) && !project.settings.isolation) ? 'worktree' : 'in-place';
  }

  /**
   * Where a run of the task would read its git state and files, found without creating or
   * changing anything (for a prompt preview): the folder, the task's worktree when it has one;
   * otherwise nothing, with what is shown instead said in `note`.
   */
  async previewDir(project: Project, task: Task): Promise<{ dir?: string; note?: string }> {
    const { workspaces, worktrees, gitIdentity } = this.dependencies;
    const isolation = await this.isolationFor(project).catch(() => undefined);
    if (isolation === undefined || isolation === 'clone') {
      return { note: "The project's folder is not on this machine (runs work elsewhere): the preview has no git state or files." };
    }
    const main = workspaces.pathOf(project.workspace_path);
    if (isolation === 'in-place') {
      const repository = await new WorkspaceGit(main, gitIdentity).isRepository().catch(() => true);
      return repository ? { dir: main } : { dir: main, note: 'The workspace is not a git repository yet: a run makes it one first, so its prompt also tells the first commit.' };
    }
    const worktree = await worktrees.find(new WorkspaceGit(main, gitIdentity), project.id, task.id).catch(() => undefined);
    if (worktree) return { dir: worktree };
    return {
      dir: main,
      note: `The task has no worktree yet: its first run makes one on ${taskBranch(task.id)}; the git state and files shown are the main folder's, without its uncommitted changes in the run.`,
    };
  }

  async open(project: Project, task: Task, isolation: RunIsolation): Promise<Checkout> {
    const { workspaces, gitIdentity } = this.dependencies;
    if (isolation === 'clone') return this.openClone(project, task);
    const main = new WorkspaceGit(workspaces.pathOf(project.workspace_path), gitIdentity);
    await main.ensureRepository();
    if (isolation === 'in-place') return { repository: main, isolation, branch: await main.currentBranch() };
    const base = projectBaseBranch(project) ?? (await main.currentBranch()) ?? 'HEAD';
    if (!(await main.resolve(base))) {
      throw new ConflictError(
        'base_branch_missing',
        `The project's base_branch "${base}" does not exist in its workspace's repository: create it, or fix settings.base_branch with PATCH /projects/${project.id}.`,
      );
    }
    const checkout = await this.worktreeOf(main, project, task, base, isolation);
    const remote = projectRemote(project);
    if (remote) {
      await this.catchUp(checkout.repository, task, remote);
      checkout.pushTo = remote;
    }
    return checkout;
  }

  private async worktreeOf(main: WorkspaceGit, project: Project, task: Task, base: string, isolation: RunIsolation): Promise<Checkout> {
    const worktree = await this.dependencies.worktrees.ensure(main, project.id, task.id, base);
    return {
      repository: worktree.repository,
      isolation,
      branch: worktree.branch,
      // git in the worktree can read the repository (status, log, diff) but change nothing of it.
      mounts: [
        { path: worktree.commonDir, writable: false },
        { path: worktree.gitDir, writable: false },
      ],
    };
  }

  /**
   * A task branch a run elsewhere pushed is brought in before this run starts: fast-forwarded
   * when this one is behind; refused when both moved, since this checkout may hold work of the
   * user's that nobody pushed.
   */
  private async catchUp(worktree: WorkspaceGit, task: Task, remote: string): Promise<void> {
    const branch = taskBranch(task.id);
    // Not pushed anywhere yet (or the remote is away): the run works on what is here.
    const theirs = await worktree.fetchBranch(remote, branch, remoteTaskRef(task.id));
    const ours = await worktree.head();
    if (!theirs || theirs === ours) return;
    if (await worktree.isAncestor(theirs, ours)) {
      // Ahead of the remote: commits nobody pushed yet (kept, pushed after the run), or a run's
      // commit undone on the remote since, which must not come back.
      const undone = await this.undoneSince(worktree, remote, theirs);
      if (undone.size === 0) return;
      const ahead = (await worktree.run(['rev-list', `${theirs}..${ours}`])).split('\n').filter(Boolean);
      if (!ahead.some((commit) => undone.has(commit))) return;
      if (ahead.every((commit) => undone.has(commit))) {
        // Nothing but undone work: dropped (`reset --keep` keeps uncommitted changes, or refuses).
        await worktree.run(['reset', '-q', '--keep', theirs]);
        return;
      }
      throw new ConflictError(
        'branch_holds_undone',
        `Task ${task.id}'s branch ${branch} here holds a commit undone on ${remote}, with other commits on top: take the undone one out by hand (git rebase -i ${theirs.slice(0, 12)} in ${worktree.dir}), then run the task again.`,
      );
    }
    if (!(await worktree.isAncestor(ours, theirs))) {
      throw new ConflictError(
        'branch_diverged',
        `Task ${task.id}'s branch ${branch} has commits here and other commits on ${remote}: bring them together by hand (git pull in ${worktree.dir}), then run the task again.`,
      );
    }
    await worktree.run(['merge', '--ff-only', '-q', theirs]);
  }

  /** The commits undone on the remote (and those under them) that `theirs` does not hold. */
  private async undoneSince(worktree: WorkspaceGit, remote: string, theirs: string): Promise<Set<string>> {
    await worktree.exec(['fetch', '-q', '--no-tags', '--', remote, '+refs/wfhub/undone/*:refs/wfhub/remote-undone/*']);
    const tips = (await worktree.run(['for-each-ref', '--format=%(objectname)', 'refs/wfhub/remote-undone/'])).split('\n').filter(Boolean);
    if (tips.length === 0) return new Set();
    return new Set((await worktree.run(['rev-list', ...tips, '--not', theirs])).split('\n').filter(Boolean));
  }

  /**
   * The task's worktree in this worker's clone of the remote, started from the task branch as the
   * remote has it (or from the base branch the first time). A clone's checkout holds nothing of
   * anyone's but wfhub's own commits, so it is reset to that start; commits that were never pushed
   * are kept under refs/wfhub/unpushed/.
   */
  private async openClone(project: Project, task: Task): Promise<Checkout> {
    const { clones } = this.dependencies;
    const remote = projectRemote(project)!;
    const clone = await clones.ensure(project.id, remote);
    const baseName = projectBaseBranch(project) ?? (await clones.defaultBranch(clone)) ?? 'main';
    const base = await clone.resolve(`refs/remotes/origin/${baseName}`);
    if (!base) {
      throw new ConflictError(
        'base_branch_missing',
        `The remote ${remote} has no branch "${baseName}" to start task ${task.id} from: push it, or fix settings.base_branch with PATCH /projects/${project.id}.`,
      );
    }
    const branch = taskBranch(task.id);
    const pushed = await clone.resolve(`refs/remotes/origin/${branch}`);
    const checkout = await this.worktreeOf(clone, project, task, pushed ?? base, 'clone');
    const worktree = checkout.repository;
    const ours = await worktree.head();
    const start = pushed ?? ours;
    if (ours !== start && !(await worktree.isAncestor(ours, start))) await worktree.run(['update-ref', unpushedRef(task.id, ours), ours]);
    await worktree.run(['reset', '-q', '--hard', start]);
    await worktree.run(['clean', '-q', '-ffd']);
    return { ...checkout, pushTo: 'origin' };
  }

  /** Pushes the task's branch where the checkout says; the error git gave when it could not. */
  async push(checkout: Checkout): Promise<{ pushed: boolean; error?: string }> {
    if (!checkout.pushTo || !checkout.branch) return { pushed: false };
    const result = await checkout.repository.exec(['push', '-q', '--', checkout.pushTo, `refs/heads/${checkout.branch}:refs/heads/${checkout.branch}`]);
    return result.code === 0 ? { pushed: true } : { pushed: false, error: result.stderr.trim() || `git push exited with ${result.code}` };
  }
}
