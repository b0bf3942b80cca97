import { sql } from 'drizzle-orm';
import { fromDrizzle, fromPglite, PgBoss } from 'pg-boss';
import type { Database, DatabaseConnection } from '../db/database.js';

const queueName = 'wfhub-runs';

/**
 * The run queue, on the database (pg-boss): the same code on the embedded database in-process
 * and on PostgreSQL shared by several workers. A job only names a run; the run's own status is
 * the truth, so a job delivered twice (after its expiry, say) finds the run taken and does nothing.
 */
export class RunQueue {
  private boss: PgBoss | undefined;
  private starting: Promise<PgBoss> | undefined;

  constructor(
    private readonly connection: DatabaseConnection,
    private readonly options: { jobExpirySeconds: number; onError?: (error: unknown) => void },
  ) {}

  /** Starts the queue (creating its tables on first use). Idempotent. */
  start(): Promise<PgBoss> {
    this.starting ??= (async () => {
      const boss =
        this.connection.kind === 'pglite'
          ? new PgBoss({ db: fromPglite(this.connection.client), backend: 'pglite' })
          : new PgBoss({ connectionString: this.connection.url });
      boss.on('error', (error) => this.options.onError?.(error));
      await boss.start();
      const options = { expireInSeconds: this.options.jobExpirySeconds, retryLimit: 0 };
      await boss.createQueue(queueName, options);
      // A queue made by an earlier version keeps its old settings unless told.
      await boss.updateQueue(queueName, options);
      this.boss = boss;
      return boss;
    })();
    // A failed start (the database was briefly away) is tried again by the next caller.
    this.starting.catch(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Sends a run's job inside the caller's transaction. The queue must have been started before it began. */
  async enqueue(transaction: Database, runId: number): Promise<void> {
    const boss = this.boss;
    if (!boss) throw new Error('The run queue is not started: start it before opening the transaction that enqueues.');
    await boss.send(queueName, { runId }, { db: fromDrizzle(transaction as never, sql as never) });
  }

  /** Sends a run's job again, to be taken after `seconds` (its workspace was busy). */
  async enqueueLater(runId: number, seconds: number): Promise<void> {
    const boss = await this.start();
    await boss.send(queueName, { runId }, { startAfter: seconds });
  }

  /** Takes jobs, at most `concurrency` at a time in this process, and hands each run id to `execute`. */
  async work(concurrency: number, execute: (runId: number) => Promise<void>): Promise<void> {
    const boss = await this.start();
    await boss.work<{ runId: number }>(queueName, { localConcurrency: concurrency, batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
      if (job) await execute(job.data.runId);
    });
  }

  /** Stops taking new jobs in this process; runs already taken go on. */
  async pause(): Promise<void> {
    await this.boss?.offWork(queueName, { wait: false }).catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (!this.starting) return;
    const boss = await this.starting.catch(() => undefined);
    await boss?.stop({ graceful: false, close: true }).catch(() => undefined);
    this.starting = undefined;
    this.boss = undefined;
  }
}
