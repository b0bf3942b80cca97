import { hostname } from 'node:os';
import type { CriterionService } from '../acceptance-criteria/criterion.service.js';
import type { AgentService } from '../agent/agent-service.js';
import type { CommentService } from '../comments/comment.service.js';
import { ConflictError } from '../core/errors.js';
import type { ProjectService } from '../projects/project.service.js';
import type { TaskService } from '../tasks/task.service.js';
import { realpath } from 'node:fs/promises';
import type { IsolationMode, Project } from '../projects/project.schema.js';
import type { Task } from '../tasks/task.schema.js';
import { WorkspaceGit, type GitIdentity } from '../workspace/git.js';
import type { TaskWorktrees } from '../workspace/task-worktrees.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import type { Run } from './run.schema.js';
import type { RunOutcome, RunService } from './run.service.js';
import { runCommentAuthor, taskPrompt } from './task-prompt.js';

export interface RunWorkerDependencies {
  runs: RunService;
  tasks: TaskService;
  projects: ProjectService;
  criteria: CriterionService;
  comments: CommentService;
  agent: AgentService;
  workspaces: WorkspaceRoot;
  worktrees: TaskWorktrees;
  gitIdentity: GitIdentity;
  /** Puts a run whose workspace is busy back in the queue for a little later. */
  requeue: (runId: number) => Promise<void>;
  /** How long a claim on a run holds without a heartbeat; renewed every third of it. */
  leaseMs?: number;
  onError?: (error: unknown, runId: number) => void;
}

const everything = { limit: 5000, offset: 0 };

/** Where the workspace as it was before a run is kept. */
export function snapshotRef(runId: number): string {
  return `refs/wfhub/runs/${runId}/before`;
}

/** Where a run works, and git there. */
interface Checkout {
  repository: WorkspaceGit;
  isolation: IsolationMode;
  branch: string | undefined;
  /** Folders outside the checkout its commands see (a worktree's git folders). */
  mounts?: { path: string; writable: boolean }[];
}

/** The git state a run starts from, kept to record what it changed. */
interface Before extends Checkout {
  snapshot: string;
  headBefore: string;
  autoCommit: boolean;
}

/**
 * Executes runs in this process: claims a queued run, gives its task to the agent, stores every
 * event as it happens, ends the run once and comments its outcome on the task. A run cancelled
 * elsewhere (its status changed in the database) is noticed at the next heartbeat and stopped.
 */
export class RunWorker {
  readonly id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private readonly active = new Map<number, AbortController>();
  private readonly leaseMs: number;
  private stopping = false;
  private executing = 0;
  private readonly executions = new Set<Promise<void>>();

  constructor(private readonly dependencies: RunWorkerDependencies) {
    this.leaseMs = dependencies.leaseMs ?? 60_000;
  }

  /** Runs executing in this process now, from their claim to their record being written. */
  get running(): number {
    return this.executing;
  }

  /** Stops a run executing here at once; answers whether it was here. */
  abort(runId: number, reason = 'The run was cancelled.'): boolean {
    const controller = this.active.get(runId);
    controller?.abort(new Error(reason));
    return controller !== undefined;
  }

  /** Takes runs again after `abortAll` (a scheduler started anew). */
  resume(): void {
    this.stopping = false;
  }

  /** Stops every run executing here because this process is stopping: they end as interrupted. */
  abortAll(reason: string): void {
    this.stopping = true;
    for (const controller of this.active.values()) controller.abort(new Error(reason));
  }

  async execute(runId: number): Promise<void> {
    this.executing++;
    const execution = this.executeCounted(runId);
    this.executions.add(execution);
    try {
      await execution;
    } finally {
      this.executions.delete(execution);
      this.executing--;
    }
  }

  /** Resolves when every execution in progress has recorded its end, or after `ms`. */
  async settled(ms: number): Promise<void> {
    if (this.executions.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.executions]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
    clearTimeout(timer);
  }

  private async executeCounted(runId: number): Promise<void> {
    const { runs, agent } = this.dependencies;
    let run: Run;
    try {
      run = await runs.get(runId);
    } catch {
      return; // deleted with its task
    }
    if (run.status !== 'queued') return;

    let outcome: RunOutcome;
    const controller = new AbortController();
    let heartbeat: NodeJS.Timeout | undefined;
    let git: Before | undefined;
    try {
      const { prompt, workspace, autoCommit, project, task } = await this.prepare(run);
      const isolation: IsolationMode = project.settings.isolation === 'worktree' ? 'worktree' : 'in-place';
      const claimed = await runs.claim(runId, this.id, this.leaseMs, prompt, isolation);
      if (claimed === 'gone') return;
      if (claimed === 'busy') {
        // Another run is working in the same workspace: this one stays queued and comes back.
        await this.dependencies.requeue(runId);
        return;
      }
      git = await this.snapshotBefore(runId, await this.checkout(project, task, isolation), autoCommit);
      this.active.set(runId, controller);
      heartbeat = setInterval(() => {
        runs.renewLease(runId, this.id, this.leaseMs).then(
          (still) => {
            if (!still) controller.abort(new Error('The run was ended elsewhere (cancelled).'));
          },
          (error: unknown) => this.dependencies.onError?.(error, runId),
        );
      }, Math.max(1000, Math.floor(this.leaseMs / 3)));
      heartbeat.unref();

      const start = await agent.prepare({
        message: prompt,
        workspace,
        ...(git.isolation === 'worktree' && { checkout: { dir: git.repository.dir, mounts: git.mounts } }),
        ...(run.model && { model: run.model }),
        ...(run.node_id && { node: run.node_id }),
      });
      const result = await start({
        signal: controller.signal,
        onEvent: (event) => runs.appendEvent(runId, { seq: event.seq, type: event.type, data: event as unknown as Record<string, unknown> }),
      });
      outcome = {
        status: result.status === 'cancelled' && this.stopping ? 'interrupted' : result.status,
        ...(result.status !== 'succeeded' && {
          error:
            result.status === 'cancelled' && this.stopping
              ? { code: 'interrupted', message: 'wfhub stopped while the run was going on.' }
              : { code: result.stop.code, message: result.stop.message },
        }),
        summary: result.summary || undefined,
        filesChanged: result.files_changed,
        steps: result.usage.steps,
        promptTokens: result.usage.prompt_tokens,
        completionTokens: result.usage.completion_tokens,
        provider: result.provider,
        model: result.model,
      };
    } catch (error) {
      this.dependencies.onError?.(error, runId);
      outcome = {
        status: controller.signal.aborted ? (this.stopping ? 'interrupted' : 'cancelled') : 'failed',
        error: { code: 'run_failed', message: error instanceof Error ? error.message : String(error) },
      };
    } finally {
      clearInterval(heartbeat);
      this.active.delete(runId);
    }

    if (git) {
      try {
        outcome = { ...outcome, ...(await this.recordAfter(runId, git, outcome)) };
      } catch (error) {
        // The run's own outcome stands; only its git record is missing.
        this.dependencies.onError?.(error, runId);
      }
    }
    await runs.finish(runId, outcome);
  }

  /**
   * Where the run works. The workspace becomes a repository if it is not one; with `worktree`
   * isolation the run works in the task's own worktree, on its branch, made from the project's
   * base branch (or the workspace's current one) the first time.
   */
  private async checkout(project: Project, task: Task, isolation: IsolationMode): Promise<Checkout> {
    const { workspaces, worktrees, gitIdentity } = this.dependencies;
    const main = new WorkspaceGit(workspaces.pathOf(project.workspace_path), gitIdentity);
    await main.ensureRepository();
    if (isolation === 'in-place') return { repository: main, isolation, branch: await main.currentBranch() };
    const base = typeof project.settings.base_branch === 'string' ? project.settings.base_branch : ((await main.currentBranch()) ?? 'HEAD');
    if (!(await main.resolve(base))) {
      throw new ConflictError(
        'base_branch_missing',
        `The project's base_branch "${base}" does not exist in its workspace's repository: create it, or fix settings.base_branch with PATCH /projects/${project.id}.`,
      );
    }
    const worktree = await worktrees.ensure(main, project.id, task.id, base);
    return {
      repository: new WorkspaceGit(await realpath(worktree.dir), gitIdentity),
      isolation,
      branch: worktree.branch,
      // git in the worktree reads the repository and writes only the worktree's own admin folder.
      mounts: [
        { path: worktree.commonDir, writable: false },
        { path: worktree.gitDir, writable: true },
      ],
    };
  }

  /**
   * Before the agent touches anything: everything in the checkout, uncommitted work included, is
   * recorded under refs/wfhub/runs/<id>/before.
   */
  private async snapshotBefore(runId: number, checkout: Checkout, autoCommit: boolean): Promise<Before> {
    const headBefore = await checkout.repository.head();
    const snapshot = await checkout.repository.snapshot(snapshotRef(runId), `wfhub: the workspace before run ${runId}`);
    await this.dependencies.runs.recordCheckout(runId, { headBefore, branch: checkout.branch });
    return { ...checkout, snapshot, headBefore, autoCommit };
  }

  /** After the agent: what the run changed (whatever tool did it), its diff, and a commit when it succeeded. */
  private async recordAfter(runId: number, git: Before, outcome: RunOutcome): Promise<Partial<RunOutcome>> {
    const after = await git.repository.workingTree();
    const paths = await git.repository.changedPaths(git.snapshot, after);
    const diff = await git.repository.diff(git.snapshot, after);
    let gitHeadAfter: string | undefined;
    // Only a run still ours commits: one cancelled or swept meanwhile must not write history.
    if (outcome.status === 'succeeded' && git.autoCommit && paths.length > 0 && (await this.dependencies.runs.renewLease(runId, this.id, this.leaseMs))) {
      // Files the user had uncommitted changes in are left uncommitted: a commit of them would
      // carry the user's work in progress under the run's name.
      const userWork = await git.repository.uncommittedIn(git.snapshot);
      const own = paths.filter((file) => !userWork.has(file));
      const subject = (outcome.summary ?? '').split('\n')[0]!.trim().slice(0, 72) || `changes of run ${runId}`;
      gitHeadAfter = await git.repository.commitPaths(own, `wfhub run ${runId}: ${subject}`);
    }
    return { filesChanged: paths, diff, gitHeadAfter: gitHeadAfter ?? (await git.repository.head()) };
  }

  private async prepare(run: Run): Promise<{ prompt: string; workspace: string; autoCommit: boolean; project: Project; task: Task }> {
    const { tasks, projects, criteria, comments } = this.dependencies;
    const task = await tasks.get(run.task_id);
    const [project, criteriaPage, commentPage, subtaskPage] = await Promise.all([
      projects.get(task.project_id),
      criteria.list(task.id, everything),
      comments.list(task.id, everything),
      tasks.listForProject(task.project_id, { parent: task.id, ...everything }),
    ]);
    return {
      prompt: taskPrompt({ task, criteria: criteriaPage.items, comments: commentPage.items, subtasks: subtaskPage.items, message: run.message }),
      workspace: project.workspace_path,
      autoCommit: project.settings.auto_commit !== false,
      project,
      task,
    };
  }

  /**
   * Puts the workspace back as it was before the run: the run's commit undone, its files
   * restored, the files it created removed, and the user's uncommitted work as it was.
   */
  async undo(run: Run): Promise<void> {
    const { tasks, projects, workspaces, worktrees, gitIdentity, comments, runs } = this.dependencies;
    const task = await tasks.get(run.task_id);
    const project = await projects.get(task.project_id);
    let repository = new WorkspaceGit(workspaces.pathOf(project.workspace_path), gitIdentity);
    const snapshot = (await repository.run(['rev-parse', '--verify', '-q', snapshotRef(run.id)], { allowFailure: true })).trim();
    if (!snapshot || !run.git_head_before) {
      throw new ConflictError('no_snapshot', `Run ${run.id} has no snapshot of the workspace from before it, so it cannot be undone.`);
    }
    if (run.isolation === 'worktree') {
      const dir = await worktrees.find(repository, task.id);
      if (!dir) {
        throw new ConflictError(
          'worktree_gone',
          `Run ${run.id} worked in task ${task.id}'s worktree, which is gone (the task was merged): revert its changes in the branch they were merged into instead.`,
        );
      }
      const active = await runs.activeForTask(task.id);
      if (active) throw new ConflictError('workspace_busy', `Run ${active.id} is working in task ${task.id}'s worktree now; undo run ${run.id} once it has ended.`);
      repository = new WorkspaceGit(dir, gitIdentity);
    } else if (await runs.hasRunningInProject(project.id)) {
      throw new ConflictError('workspace_busy', `A run is working in this project's workspace now; undo run ${run.id} once it has ended.`);
    }
    const head = await repository.head();
    if (head !== run.git_head_before && head !== run.git_head_after) {
      throw new ConflictError(
        'workspace_moved_on',
        `The workspace has commits made after run ${run.id} (HEAD is ${head.slice(0, 12)}); undoing it would drop them. Revert its commit ${run.git_head_after?.slice(0, 12) ?? ''} by hand instead.`,
      );
    }
    await repository.restore(snapshot, run.files_changed, run.git_head_before);
    await comments.create(run.task_id, { body: `Run ${run.id} was undone: the workspace is back as it was before it.`, author: runCommentAuthor });
  }
}
