import { statfs } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import type { Config } from '../config/config.js';
import { rowsOf, type Database } from '../db/database.js';
import type { Check, CheckStatus, FullHealth } from './health.schema.js';

const minFreeBytes = 1024 ** 3;

async function timed(check: () => Promise<Omit<Check, 'latency_ms'>>, timeoutMs: number): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Omit<Check, 'latency_ms'>>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'down', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    const result = await Promise.race([
      check().catch((error: Error) => ({ status: 'down' as const, message: error.message })),
      timeout,
    ]);
    return { ...result, latency_ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** What `/health/full` reports: each dependency wfhub needs, and whether it answers. */
export class HealthService {
  private readonly startedAt = Date.now();

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly version: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async full(): Promise<FullHealth> {
    const [database, model_server, disk, queue] = await Promise.all([
      timed(() => this.database(), 3000),
      timed(() => this.modelServer(), 3000),
      timed(() => this.disk(), 3000),
      timed(() => this.queue(), 3000),
    ]);
    const checks = { database, model_server, disk, queue };
    let overall: CheckStatus = 'ok';
    if (database.status === 'down') overall = 'down';
    else if (Object.values(checks).some((check) => check.status !== 'ok')) overall = 'degraded';
    return {
      overall_status: overall,
      version: this.version,
      uptime_s: Math.round((Date.now() - this.startedAt) / 1000),
      checks,
    };
  }

  private async database(): Promise<Omit<Check, 'latency_ms'>> {
    await this.db.execute(sql`select 1`);
    return { status: 'ok', message: `${this.config.databaseKind === 'postgres' ? 'PostgreSQL' : 'embedded database'} answers` };
  }

  private async modelServer(): Promise<Omit<Check, 'latency_ms'>> {
    const base = this.config.ollamaHost;
    try {
      const response = await this.fetchImpl(`${base}/api/tags`, { signal: AbortSignal.timeout(2500) });
      if (!response.ok) {
        return { status: 'degraded', message: `${base} answered HTTP ${response.status}` };
      }
      const body = (await response.json()) as { models?: { name?: string }[] };
      const models = (body.models ?? []).map((model) => model.name).filter((name): name is string => !!name);
      const hasModel = models.some((name) => name === this.config.model || name === `${this.config.model}:latest`);
      return hasModel
        ? { status: 'ok', message: `${base} answers with ${this.config.model}`, details: { models } }
        : {
            status: 'degraded',
            message: `${base} answers but ${this.config.model} is not pulled: run \`ollama pull ${this.config.model}\``,
            details: { models },
          };
    } catch (error) {
      return {
        status: 'degraded',
        message: `cannot reach the model server at ${base} (${(error as Error).message}): start Ollama or set OLLAMA_HOST`,
      };
    }
  }

  private async disk(): Promise<Omit<Check, 'latency_ms'>> {
    const stats = await statfs(this.config.dataDir).catch(() => statfs('.'));
    const free = stats.bavail * stats.bsize;
    const details = { free_bytes: free, total_bytes: stats.blocks * stats.bsize, path: this.config.dataDir };
    return free < minFreeBytes
      ? { status: 'degraded', message: `only ${(free / 1024 ** 2).toFixed(0)} MiB free for the data dir`, details }
      : { status: 'ok', message: `${(free / 1024 ** 3).toFixed(1)} GiB free`, details };
  }

  private async queue(): Promise<Omit<Check, 'latency_ms'>> {
    const result = await this.db.execute(sql`select status, count(*)::int as count from task_runs group by status`);
    const counts = Object.fromEntries(rowsOf<{ status: string; count: number }>(result).map((row) => [row.status, Number(row.count)]));
    return {
      status: 'ok',
      message: `${counts.queued ?? 0} queued, ${counts.running ?? 0} running`,
      details: { runs_by_status: counts },
    };
  }
}
