import { hostname } from 'node:os';
import { asc, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import type { Worker } from './worker.schema.js';
import { workerTable } from './worker.sql.js';

/** A worker not seen for this long is offline; one gone for a day is forgotten. */
const onlineMs = 90_000;
const forgetMs = 24 * 3600_000;

/**
 * Each process taking runs says who it is and which workspaces dir it serves, and keeps saying
 * it every 30 seconds, so `GET /workers` shows where a project's runs can go.
 */
export class WorkerRegistry {
  private timer: NodeJS.Timeout | undefined;
  private registered = false;

  constructor(
    private readonly db: Database,
    private readonly options: { id: string; workspaces: WorkspaceRoot; concurrency: number; version: string; heartbeatMs?: number },
  ) {}

  async register(kind: 'serve' | 'worker'): Promise<void> {
    const now = new Date();
    const row = {
      id: this.options.id,
      host: hostname(),
      pid: process.pid,
      kind,
      workspaces_dir: this.options.workspaces.dir,
      workspaces_id: await this.options.workspaces.id(),
      concurrency: this.options.concurrency,
      version: this.options.version,
      started_at: now,
      seen_at: now,
    };
    await this.db.insert(workerTable).values(row).onConflictDoUpdate({ target: workerTable.id, set: { ...row } });
    await this.db.delete(workerTable).where(lt(workerTable.seen_at, new Date(Date.now() - forgetMs)));
    this.registered = true;
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.db
        .update(workerTable)
        .set({ seen_at: new Date() })
        .where(eq(workerTable.id, this.options.id))
        .catch(() => undefined);
    }, this.options.heartbeatMs ?? 30_000);
    this.timer.unref();
  }

  async unregister(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.registered) return;
    this.registered = false;
    await this.db.delete(workerTable).where(eq(workerTable.id, this.options.id)).catch(() => undefined);
  }

  async list(): Promise<Worker[]> {
    const rows = await this.db
      .select({ row: workerTable, online: sql<boolean>`${workerTable.seen_at} > now() - make_interval(secs => ${onlineMs / 1000})` })
      .from(workerTable)
      .orderBy(asc(workerTable.started_at));
    return rows.map(({ row, online }) => ({ ...row, kind: row.kind as Worker['kind'], online: Boolean(online) }));
  }
}
