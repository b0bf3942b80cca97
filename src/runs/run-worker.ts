import { hostname } from 'node:os';
import type { CriterionService } from '../acceptance-criteria/criterion.service.js';
import type { AgentService } from '../agent/agent-service.js';
import type { CommentService } from '../comments/comment.service.js';
import { ConflictError } from '../core/errors.js';
import type { ProjectService } from '../projects/project.service.js';
import type { TaskService } from '../tasks/task.service.js';
import { WorkspaceGit, type GitIdentity } from '../workspace/git.js';
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
    let git: { repository: WorkspaceGit; snapshot: string; headBefore: string; autoCommit: boolean } | undefined;
    try {
      const { prompt, workspace, autoCommit } = await this.prepare(run);
      const claimed = await runs.claim(runId, this.id, this.leaseMs, prompt);
      if (claimed === 'gone') return;
      if (claimed === 'busy') {
        // Another run is working in the same workspace: this one stays queued and comes back.
        await this.dependencies.requeue(runId);
        return;
      }
      git = await this.snapshotBefore(runId, workspace, autoCommit);
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
    const ended = await runs.finish(runId, outcome);
    if (ended) await this.comment(ended).catch((error: unknown) => this.dependencies.onError?.(error, runId));
  }

  /**
   * Before the agent touches anything: the workspace becomes a repository if it is not one, and
   * everything in it, uncommitted work included, is recorded under refs/wfhub/runs/<id>/before.
   */
  private async snapshotBefore(runId: number, workspace: string, autoCommit: boolean) {
    const repository = new WorkspaceGit(this.dependencies.workspaces.pathOf(workspace), this.dependencies.gitIdentity);
    await repository.ensureRepository();
    const headBefore = await repository.head();
    const snapshot = await repository.snapshot(snapshotRef(runId), `wfhub: the workspace before run ${runId}`);
    await this.dependencies.runs.recordHeadBefore(runId, headBefore);
    return { repository, snapshot, headBefore, autoCommit };
  }

  /** After the agent: what the run changed (whatever tool did it), its diff, and a commit when it succeeded. */
  private async recordAfter(
    runId: number,
    git: { repository: WorkspaceGit; snapshot: string; autoCommit: boolean },
    outcome: RunOutcome,
  ): Promise<Partial<RunOutcome>> {
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

  private async prepare(run: Run): Promise<{ prompt: string; workspace: string; autoCommit: boolean }> {
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
    };
  }

  /**
   * Puts the workspace back as it was before the run: the run's commit undone, its files
   * restored, the files it created removed, and the user's uncommitted work as it was.
   */
  async undo(run: Run): Promise<void> {
    const { tasks, projects, workspaces, gitIdentity, comments } = this.dependencies;
    const task = await tasks.get(run.task_id);
    const project = await projects.get(task.project_id);
    const repository = new WorkspaceGit(workspaces.pathOf(project.workspace_path), gitIdentity);
    const snapshot = (await repository.run(['rev-parse', '--verify', '-q', snapshotRef(run.id)], { allowFailure: true })).trim();
    if (!snapshot || !run.git_head_before) {
      throw new ConflictError('no_snapshot', `Run ${run.id} has no snapshot of the workspace from before it, so it cannot be undone.`);
    }
    if (await this.dependencies.runs.hasRunningInProject(project.id)) {
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

  /** The run's outcome as a comment on its task: what happened, which files, what it cost. */
  async comment(run: Run): Promise<void> {
    const head =
      run.status === 'succeeded'
        ? `Run ${run.id} finished.`
        : run.status === 'cancelled'
          ? `Run ${run.id} was cancelled.`
          : `Run ${run.id} ${run.status}: ${run.error?.message ?? 'no reason given'}`;
    const lines = [head];
    const retry = run.status === 'interrupted' ? await this.dependencies.runs.retryOf(run.id) : undefined;
    if (retry) lines.push('', `It had changed nothing, so it is being tried again as run ${retry.id}.`);
    if (run.summary) lines.push('', run.summary);
    if (run.files_changed.length) lines.push('', `Files changed: ${run.files_changed.join(', ')}`);
    if (run.git_head_after && run.git_head_before && run.git_head_after !== run.git_head_before) {
      lines.push(`Committed as ${run.git_head_after.slice(0, 12)} (on top of ${run.git_head_before.slice(0, 12)}); POST /runs/${run.id}/undo takes it back.`);
    } else if (run.files_changed.length && run.git_head_before) {
      lines.push(`Not committed: the changes are in the workspace (GET /runs/${run.id}/diff shows them).`);
    }
    lines.push('', `${run.model ?? 'model ?'} · ${run.steps} steps · ${run.prompt_tokens} prompt + ${run.completion_tokens} completion tokens`);
    await this.dependencies.comments.create(run.task_id, { body: lines.join('\n'), author: runCommentAuthor });
  }
}
