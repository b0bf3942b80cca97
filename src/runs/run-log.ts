import type { Change, ChangeFeed } from '../db/change-feed.js';
import type { LogFeed } from '../logs/log-feed.js';
import type { LogLevel } from '../logs/log.schema.js';
import type { Run } from './run.schema.js';
import type { RunService } from './run.service.js';

/** Runs whose last told status is remembered, so a status heard again is not told again. */
const rememberedRuns = 2000;

const levels: Record<string, LogLevel> = { failed: 'error', interrupted: 'warn' };

function seconds(run: Run): string {
  if (!run.started_at || !run.finished_at) return '';
  return ` in ${Math.round((run.finished_at.getTime() - run.started_at.getTime()) / 1000)} s`;
}

/** What an entry says of a run with this status. */
function describe(status: string, runId: number, taskId: number, run: Run | undefined): string {
  const name = `run ${runId} of task ${taskId}`;
  if (!run) return `${name} ${status}`;
  switch (status) {
    case 'queued':
      return `${name} queued${run.retry_of ? ` (to try run ${run.retry_of} again)` : ''}${run.model ? ` for ${run.model}` : ''}`;
    case 'running':
      return `${name} started (${run.isolation}${run.worker ? `, on ${run.worker}` : ''})`;
    default: {
      const usage = `${run.steps} steps, ${run.prompt_tokens} + ${run.completion_tokens} tokens${run.model ? `, ${run.model}` : ''}`;
      return `${name} ${status}${seconds(run)}: ${usage}${run.error ? `. ${run.error.message}` : ''}`;
    }
  }
}

/**
 * Each run's lifecycle on the logs' runs channel: queued, started, and how it ended (with its
 * model, steps, tokens and error). It listens to the change feed, so the runs other processes
 * execute (workers on PostgreSQL) are told as well as this one's; each status of a run is told
 * once, however often it is heard, in the order the changes were heard.
 */
export class RunLog {
  private unsubscribe: (() => void) | undefined;
  private readonly told = new Map<number, string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly runs: RunService,
    private readonly changes: ChangeFeed,
    private readonly logs: LogFeed,
  ) {}

  start(): void {
    this.unsubscribe ??= this.changes.subscribe((change) => {
      if (change.kind !== 'run' || this.told.get(change.id) === change.status) return;
      this.told.delete(change.id);
      this.told.set(change.id, change.status);
      if (this.told.size > rememberedRuns) this.told.delete(this.told.keys().next().value!);
      this.queue = this.queue.then(() => this.tell(change)).catch(() => undefined);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Resolves once the changes heard so far are told. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async tell(change: Extract<Change, { kind: 'run' }>): Promise<void> {
    // Read for its numbers; the status told is the one heard (the run may have moved on since).
    const run = await this.runs.get(change.id).catch(() => undefined);
    this.logs.append('runs', levels[change.status] ?? 'info', describe(change.status, change.id, change.task_id, run), {
      run_id: change.id,
      task_id: change.task_id,
      status: change.status,
      ...(run && {
        node_id: run.node_id,
        model: run.model,
        provider: run.provider,
        attempt: run.attempt,
        ...(run.retry_of && { retry_of: run.retry_of }),
        ...(change.status === 'running' && { isolation: run.isolation, worker: run.worker }),
        ...(change.status !== 'queued' &&
          change.status !== 'running' && {
            steps: run.steps,
            prompt_tokens: run.prompt_tokens,
            completion_tokens: run.completion_tokens,
            files_changed: run.files_changed.length,
            ...(run.started_at && run.finished_at && { duration_ms: run.finished_at.getTime() - run.started_at.getTime() }),
            ...(run.error && { error: run.error }),
          }),
      }),
    });
  }
}
