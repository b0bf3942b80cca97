import { sql } from 'drizzle-orm';
import { fromDrizzle, fromPglite, PgBoss } from 'pg-boss';
import type { Database, DatabaseConnection } from '../db/database.js';

/** Runs any worker can execute: projects with a git remote, which a worker without the folder clones. */
export const sharedQueue = 'wfhub-runs';

/** Runs of projects that live only in one workspaces dir: only the workers that see it take them. */
export function workspacesQueue(workspacesId: string): string {
  return `wfhub-runs.${workspacesId}`;
}

/** Which queue a run goes to. */
export function queueFor(route: { remote: boolean; workspacesId: string | null }): string {
  return route.remote || !route.workspacesId ? sharedQueue : workspacesQueue(route.workspacesId);
}

/**
 * The run queue, on the database (pg-boss): the same code on the embedded database in-process
 * and on PostgreSQL shared by several workers. A job only names a run; the run's own status is
 * the truth, so a job delivered twice (after its expiry, say) finds the run taken and does nothing.
 */
export class RunQueue {
  private boss: PgBoss | undefined;
  private starting: Promise<PgBoss> | undefined;
  /** Queues known to exist (a job can only be sent to an existing one). */
  private readonly queues = new Set<string>();
  private polling = false;
  private poller: Promise<void> | undefined;
  private running = 0;
  private wake: (() => void) | undefined;
  /** Jobs being completed or sent again: the queue stops after them. */
  private readonly handing = new Set<Promise<void>>();

  constructor(
    private readonly connection: DatabaseConnection,
    private readonly options: { jobExpirySeconds: number; onError?: (error: unknown) => void },
  ) {}

  /** Whether jobs can be sent now (started, and not stopped since). */
  get started(): boolean {
    return this.boss !== undefined;
  }

  private get queueOptions() {
    return { expireInSeconds: this.options.jobExpirySeconds, retryLimit: 0 };
  }

  /** Starts the queue (creating its tables on first use). Idempotent. */
  start(): Promise<PgBoss> {
    this.starting ??= (async () => {
      const boss =
        this.connection.kind === 'pglite'
          ? new PgBoss({ db: fromPglite(this.connection.client), backend: 'pglite' })
          : new PgBoss({ connectionString: this.connection.url });
      boss.on('error', (error) => this.options.onError?.(error));
      await boss.start();
      this.boss = boss;
      await this.ensure(sharedQueue);
      return boss;
    })();
    // A failed start (the database was briefly away) is tried again by the next caller.
    this.starting.catch(() => {
      this.starting = undefined;
      this.boss = undefined;
    });
    return this.starting;
  }

  /**
   * Makes sure a queue exists, outside any transaction (on the embedded database a query of the
   * queue's own, inside the caller's open transaction, would wait for it for ever).
   */
  async ensure(name: string): Promise<void> {
    if (this.queues.has(name)) return;
    const boss = this.boss ?? (await this.start());
    await boss.createQueue(name, this.queueOptions);
    // A queue made by an earlier version keeps its old settings unless told.
    await boss.updateQueue(name, this.queueOptions);
    this.queues.add(name);
  }

  /** Sends a run's job inside the caller's transaction; `ensure` the queue before it began. */
  async enqueue(transaction: Database, runId: number, queue: string): Promise<void> {
    const boss = this.boss;
    if (!boss) throw new Error('The run queue is not started: start it before opening the transaction that enqueues.');
    await boss.send(queue, { runId }, { db: fromDrizzle(transaction as never, sql as never) });
  }

  /** Sends a run's job again, to be taken after `seconds` (its workspace was busy). */
  async enqueueLater(runId: number, queue: string, seconds: number): Promise<void> {
    await this.ensure(queue);
    await this.boss!.send(queue, { runId }, { startAfter: seconds });
  }

  /**
   * Takes jobs from the queues in turn, at most `concurrency` at a time in all, and hands each
   * run id to `execute`; a job is completed once its run has been executed. A job is only taken
   * when a slot is free, so a full worker leaves the others' jobs to them.
   */
  async work(queues: readonly string[], concurrency: number, execute: (runId: number) => Promise<boolean>): Promise<void> {
    for (const queue of queues) await this.ensure(queue);
    const boss = this.boss!;
    this.polling = true;
    let next = 0;
    const poll = async () => {
      while (this.polling) {
        let took = false;
        for (let tried = 0; tried < queues.length && this.running < concurrency && this.polling; tried++) {
          const queue = queues[next++ % queues.length]!;
          const [job] = await boss.fetch<{ runId: number }>(queue, { batchSize: 1 }).catch((error: unknown) => {
            this.options.onError?.(error);
            return [];
          });
          if (!job) continue;
          took = true;
          this.running++;
          // Taken while stopping, or handed back by the worker (stopping too): the run keeps a
          // job, sent again, so another process (or the next start) takes it.
          const taken = this.polling ? execute(job.data.runId) : Promise.resolve(false);
          const settling: Promise<void> = taken
            .catch((error: unknown) => {
              this.options.onError?.(error);
              return true;
            })
            .then(async (done) => {
              if (!done) await boss.send(queue, job.data).catch((error: unknown) => this.options.onError?.(error));
              await boss.complete(queue, job.id).catch(() => undefined);
            })
            .finally(() => {
              this.running--;
              this.handing.delete(settling);
              this.wake?.();
            });
          this.handing.add(settling);
        }
        if (took && this.running < concurrency) continue;
        // Half a second between looks, or less when a run ends and frees a slot.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 500);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    };
    this.poller = poll();
  }

  /** Stops taking new jobs in this process; runs already taken go on. */
  async pause(): Promise<void> {
    this.polling = false;
    this.wake?.();
    await this.poller;
  }

  async stop(): Promise<void> {
    await this.pause();
    // Runs still executing here were given time to end by the caller; the jobs of those that
    // did end (or were handed back) are settled before the queue's connections go.
    await Promise.race([Promise.allSettled([...this.handing]), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    if (!this.starting) return;
    const boss = await this.starting.catch(() => undefined);
    await boss?.stop({ graceful: false, close: true }).catch(() => undefined);
    this.starting = undefined;
    this.boss = undefined;
    this.queues.clear();
  }
}
