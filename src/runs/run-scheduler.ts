import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../core/errors.js';
import { finishedRunStatuses, type Run, type RunTrigger } from './run.schema.js';
import type { Database } from '../db/database.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import { queueFor, sharedQueue, workspacesQueue, type RunQueue } from './run-queue.js';
import type { RunRoute, RunService } from './run.service.js';
import type { WorkerRegistry } from './worker-registry.js';
import type { RunWorker } from './run-worker.js';
import type { WorktreeJanitor } from './worktree-janitor.js';

/**
 * Triggering, waiting for and cancelling runs, and taking runs from the queue in this process.
 * The faces (HTTP, CLI) go through it; the run records stay in RunService.
 */
export class RunScheduler {
  private working = false;
  private starting: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly runs: RunService,
    private readonly queue: RunQueue,
    private readonly worker: RunWorker,
    private readonly options: {
      concurrency: number;
      embedded: boolean;
      workspaces: WorkspaceRoot;
      sweepIntervalMs?: number;
      janitor?: WorktreeJanitor;
      registry?: WorkerRegistry;
      /** Before taking runs: claims the projects made before workspaces dirs had ids. */
      adoptProjects?: () => Promise<unknown>;
    },
  ) {}

  /**
   * The queue for a run. On the embedded database one process does everything: one queue. On
   * PostgreSQL, a project living only in one workspaces dir has that dir's queue, which only the
   * workers seeing it take; one with a git remote goes to the queue every worker takes.
   */
  private queueName(route: RunRoute): string {
    return this.options.embedded ? sharedQueue : queueFor(route);
  }

  /** The queues this process takes runs from. */
  async ownQueues(): Promise<string[]> {
    return this.options.embedded ? [sharedQueue] : [sharedQueue, workspacesQueue(await this.options.workspaces.id())];
  }

  /** Sends a run's job inside the caller's transaction (a retry made while ending a run). */
  async enqueueIn(transaction: Database, runId: number, route: RunRoute): Promise<void> {
    // Stopping: the run stays queued without a job, and the next start gives it one (it gives
    // every queued run one), rather than the run's end failing for want of a queue.
    if (!this.queue.started) return;
    const name = this.queueName(route);
    // On PostgreSQL the queue's own connection may make it meanwhile; on the embedded database
    // there is one queue, made at start.
    await this.queue.ensure(name);
    await this.queue.enqueue(transaction, runId, name);
  }

  /** Sends a run's job again, to be taken after `seconds` (its workspace was busy, or this worker full). */
  async requeue(runId: number, seconds = 2): Promise<void> {
    await this.queue.enqueueLater(runId, this.queueName(await this.runs.routeForRun(runId)), seconds);
  }

  /** Creates a queued run and its job in one transaction. */
  async trigger(taskId: number, input: RunTrigger): Promise<Run> {
    const name = this.queueName(await this.runs.routeForTask(taskId));
    // Made first: starting the queue and making one run queries of their own, which on the
    // embedded database (one connection) would wait for the transaction below, and it for them.
    await this.queue.ensure(name);
    return this.runs.create(taskId, input, (transaction, run) => this.queue.enqueue(transaction, run.id, name));
  }

  /**
   * Makes the queue a task's runs go to ready, before a transaction that will trigger one
   * (`triggerWithin`): on the embedded database it could not be made while that transaction is open.
   */
  async queueFor(taskId: number): Promise<string> {
    const name = this.queueName(await this.runs.routeForTask(taskId));
    await this.queue.ensure(name);
    return name;
  }

  /** Creates a queued run and its job inside the caller's transaction; the caller announces it once committed. */
  triggerWithin(transaction: Database, taskId: number, input: RunTrigger, queue: string): Promise<Run> {
    return this.runs.create(taskId, input, (db, run) => this.queue.enqueue(db, run.id, queue), transaction);
  }

  /**
   * Creates a run and executes it in this process only (the CLI without a server): the queue's
   * job stays for the record, and a server taking it later finds the run taken.
   */
  async triggerAndExecute(taskId: number, input: RunTrigger): Promise<{ run: Run; done: Promise<void> }> {
    const run = await this.trigger(taskId, input);
    this.worker.resume();
    return { run, done: this.worker.execute(run.id).then(() => undefined) };
  }

  /** Answers the run once it has ended (polling its record), or as it is when `signal` fires. */
  async waitFor(runId: number, signal?: AbortSignal): Promise<Run> {
    for (;;) {
      const run = await this.runs.get(runId);
      if (finishedRunStatuses.includes(run.status) || signal?.aborted) return run;
      await sleep(200, undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * Cancels a queued or running run. One running here is stopped at once and ends itself; any
   * other is ended in the database, and a worker elsewhere notices at its next heartbeat.
   */
  async cancel(runId: number): Promise<Run> {
    const run = await this.runs.get(runId);
    if (finishedRunStatuses.includes(run.status)) {
      throw new ConflictError('run_finished', `Run ${runId} has already ended (${run.status}); there is nothing to cancel.`, { status: run.status });
    }
    if (this.worker.abort(runId, 'The run was cancelled by the user.')) return this.waitFor(runId);
    const ended = await this.runs.finish(runId, { status: 'cancelled', error: { code: 'cancelled', message: 'The run was cancelled by the user.' } });
    return ended ?? this.runs.get(runId);
  }

  /** Undoes an ended run's changes to its workspace (see RunWorker.undo). */
  async undo(runId: number): Promise<Run> {
    const run = await this.runs.get(runId);
    if (!finishedRunStatuses.includes(run.status)) {
      throw new ConflictError('run_not_finished', `Run ${runId} is ${run.status}: cancel it, or wait for it to end, before undoing it.`);
    }
    // Taken first, so two undos at once cannot both restore.
    if (run.undone_at || !(await this.runs.claimUndo(runId))) {
      const undoneAt = (run.undone_at ?? (await this.runs.get(runId)).undone_at)?.toISOString();
      throw new ConflictError('already_undone', `Run ${runId} was undone already${undoneAt ? ` (${undoneAt})` : ''}.`, { undone_at: undoneAt });
    }
    try {
      await this.worker.undo(run);
    } catch (error) {
      await this.runs.releaseUndo(runId);
      throw error;
    }
    return this.runs.finishUndo(runId);
  }

  /**
   * Starts taking runs. Runs left "running" by a crash are interrupted first: on the embedded
   * database every one of them (only one process can use it), on PostgreSQL those whose lease
   * has expired.
   */
  start(kind: 'serve' | 'worker' = 'serve'): Promise<void> {
    if (this.working) return this.starting ?? Promise.resolve();
    this.working = true;
    this.starting = this.startTaking(kind).catch((error: unknown) => {
      this.working = false;
      throw error;
    });
    return this.starting;
  }

  private async startTaking(kind: 'serve' | 'worker'): Promise<void> {
    this.worker.resume();
    // Started first: an interrupted run tried again is enqueued inside the transaction ending it.
    await this.queue.start();
    if (!this.options.embedded) await this.options.adoptProjects?.();
    await this.runs.interruptAbandoned({ everyRunning: this.options.embedded });
    // A crash between the queue handing a job over and the run being claimed loses the job, not
    // the run: every queued run gets a job again (a second one is harmless, the claim decides).
    for (const runId of await this.runs.queuedIds()) await this.requeue(runId, 0).catch(() => undefined);
    await this.options.janitor?.start();
    const queues = await this.ownQueues();
    await this.queue.work(queues, this.options.concurrency, (runId) => this.worker.execute(runId));
    await this.options.registry?.register(kind);
    // On a shared database another worker may die at any time: its runs are found by their
    // expired leases while everyone else keeps working, not only at the next start.
    if (!this.options.embedded) {
      this.sweeper = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 30_000);
      this.sweeper.unref();
    }
  }

  /** Interrupts runs whose worker stopped renewing its lease. */
  async sweep(): Promise<void> {
    try {
      await this.runs.interruptAbandoned();
    } catch {
      // The next sweep tries again; a database hiccup must not stop the worker.
    }
  }

  /** Resolves once the worktree clean-ups heard of so far are done. */
  async settled(): Promise<void> {
    await this.options.janitor?.settled();
  }

  /** Runs executing in this process now. */
  get runningHere(): number {
    return this.worker.running;
  }

  /**
   * Stops taking runs. Runs executing here get `graceMs` to finish; those still going then are
   * stopped and end as interrupted.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    // A start still going on finishes first, or it would set up the polling after this stop.
    await this.starting?.catch(() => undefined);
    this.starting = undefined;
    clearInterval(this.sweeper);
    this.options.janitor?.stop();
    await this.options.registry?.unregister();
    // No new run from here on, whatever the queues hold (a retry made while stopping waits there).
    await this.queue.pause();
    if (options.graceMs && this.worker.running > 0) {
      const deadline = Date.now() + options.graceMs;
      while (this.worker.running > 0 && Date.now() < deadline) await sleep(100);
    }
    this.worker.abortAll('wfhub is shutting down.');
    // Aborted runs record their end (interrupted) before the database goes away.
    await this.worker.settled(10_000);
    await this.queue.stop();
    this.working = false;
  }
}
