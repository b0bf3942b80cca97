import { hostname } from 'node:os';
import type { CriterionService } from '../acceptance-criteria/criterion.service.js';
import type { AgentService } from '../agent/agent-service.js';
import type { CommentService } from '../comments/comment.service.js';
import type { ProjectService } from '../projects/project.service.js';
import type { TaskService } from '../tasks/task.service.js';
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
  /** How long a claim on a run holds without a heartbeat; renewed every third of it. */
  leaseMs?: number;
  onError?: (error: unknown, runId: number) => void;
}

const everything = { limit: 5000, offset: 0 };

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

  constructor(private readonly dependencies: RunWorkerDependencies) {
    this.leaseMs = dependencies.leaseMs ?? 60_000;
  }

  /** Runs executing in this process now. */
  get running(): number {
    return this.active.size;
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
    try {
      const { prompt, workspace } = await this.prepare(run);
      const claimed = await runs.claim(runId, this.id, this.leaseMs, prompt);
      if (!claimed) return;
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

    const ended = await runs.finish(runId, outcome);
    if (ended) await this.comment(ended).catch((error: unknown) => this.dependencies.onError?.(error, runId));
  }

  private async prepare(run: Run): Promise<{ prompt: string; workspace: string }> {
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
    };
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
    if (run.summary) lines.push('', run.summary);
    if (run.files_changed.length) lines.push('', `Files changed: ${run.files_changed.join(', ')}`);
    lines.push('', `${run.model ?? 'model ?'} · ${run.steps} steps · ${run.prompt_tokens} prompt + ${run.completion_tokens} completion tokens`);
    await this.dependencies.comments.create(run.task_id, { body: lines.join('\n'), author: runCommentAuthor });
  }
}
