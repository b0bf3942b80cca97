import { sql } from 'drizzle-orm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import type { ModelCall } from '../model-calls/model-call.schema.js';
import type { ModelCallService } from '../model-calls/model-call.service.js';
import { finishedRunStatuses, runStatuses, type RunStatus } from '../runs/run.schema.js';
import type { RunService } from '../runs/run.service.js';
import { runTable } from '../runs/run.sql.js';
import { taskStatuses } from '../tasks/task-fields.js';
import { taskTable } from '../tasks/task.sql.js';

/** Runs whose end was counted, so an end heard again is not counted twice. */
const rememberedRuns = 2000;

/** The most models that get series of their own; calls to any other are counted as `other`. */
const maxModelLabels = 50;

/** A model call's outcome, for its label: ok, or what went wrong. */
function outcome(call: ModelCall): string {
  if (call.status === null) return 'no_answer';
  if (call.status >= 400) return `http_${call.status}`;
  return call.error ? 'cut_short' : 'ok';
}

/**
 * What Prometheus scrapes at /metrics: runs by status and the queue (read from the database when
 * scraped, so they hold for every process), run durations (each run that ends while this server
 * is up, whichever process ran it: heard on the change feed), model calls' latency and tokens (the
 * model-call log: the agent's and the /ollama proxy's), HTTP requests, and Node's own figures.
 */
export class HubMetrics {
  readonly registry = new Registry();
  private readonly runDuration: Histogram<'status'>;
  private readonly runsFinished: Counter<'status'>;
  private readonly modelCalls: Counter<'source' | 'model' | 'outcome'>;
  private readonly modelLatency: Histogram<'source' | 'model'>;
  private readonly modelFirstByte: Histogram<'source' | 'model'>;
  private readonly modelTokens: Counter<'source' | 'model' | 'kind'>;
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly counted = new Set<number>();
  /** The models with series of their own: those a call succeeded with (a name a client mistyped gets none). */
  private readonly models = new Set<string>();
  private readonly stops: (() => void)[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly feed: ChangeFeed,
    private readonly runs: RunService,
    private readonly calls: ModelCallService,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'wfhub_' });
    const database = this.db;
    let counts: Promise<{ runs: Map<string, number>; tasks: Map<string, number> }> | undefined;
    // One read of the database per scrape, shared by the gauges below.
    const read = () =>
      (counts ??= (async () => {
        try {
          const [runRows, taskRows] = await Promise.all([
            database.select({ status: runTable.status, count: sql<number>`count(*)::int` }).from(runTable).groupBy(runTable.status),
            database.select({ status: taskTable.status, count: sql<number>`count(*)::int` }).from(taskTable).groupBy(taskTable.status),
          ]);
          return { runs: new Map(runRows.map((row) => [row.status, Number(row.count)])), tasks: new Map(taskRows.map((row) => [row.status, Number(row.count)])) };
        } finally {
          setImmediate(() => (counts = undefined));
        }
      })());
    new Gauge({
      name: 'wfhub_runs',
      help: 'Runs in the database, by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const { runs } = await read();
        for (const status of runStatuses) this.set({ status }, runs.get(status) ?? 0);
      },
    });
    new Gauge({
      name: 'wfhub_run_queue_depth',
      help: 'Runs waiting for a worker (queued)',
      registers,
      async collect() {
        this.set((await read()).runs.get('queued') ?? 0);
      },
    });
    new Gauge({
      name: 'wfhub_tasks',
      help: 'Tasks in the database, by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const { tasks } = await read();
        for (const status of taskStatuses) this.set({ status }, tasks.get(status) ?? 0);
      },
    });
    this.runDuration = new Histogram({
      name: 'wfhub_run_duration_seconds',
      help: 'How long runs took, from start to end, by how they ended',
      labelNames: ['status'],
      buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers,
    });
    this.runsFinished = new Counter({ name: 'wfhub_runs_finished_total', help: 'Runs that ended, by how they ended', labelNames: ['status'], registers });
    this.modelCalls = new Counter({ name: 'wfhub_model_calls_total', help: 'Calls to the model server, by source (agent, proxy), model and outcome', labelNames: ['source', 'model', 'outcome'], registers });
    this.modelLatency = new Histogram({
      name: 'wfhub_model_call_duration_seconds',
      help: 'How long calls to the model server took, whole',
      labelNames: ['source', 'model'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.modelFirstByte = new Histogram({
      name: 'wfhub_model_call_first_byte_seconds',
      help: 'From a call to the model server to the first bytes of its answer (loading the model, reading the prompt)',
      labelNames: ['source', 'model'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.modelTokens = new Counter({ name: 'wfhub_model_tokens_total', help: 'Tokens the model server read (prompt) and wrote (completion)', labelNames: ['source', 'model', 'kind'], registers });
    this.httpRequests = new Counter({ name: 'wfhub_http_requests_total', help: 'HTTP requests answered, by method, route and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'wfhub_http_request_duration_seconds',
      help: 'How long HTTP requests took to answer, by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers,
    });
  }

  start(): void {
    if (this.stops.length > 0) return;
    this.stops.push(
      this.calls.subscribe((call) => this.observeModelCall(call)),
      this.feed.subscribe((change) => {
        if (change.kind !== 'run' || !finishedRunStatuses.includes(change.status as RunStatus) || this.counted.has(change.id)) return;
        this.counted.add(change.id);
        if (this.counted.size > rememberedRuns) this.counted.delete(this.counted.values().next().value!);
        this.queue = this.queue.then(() => this.observeRun(change.id)).catch(() => undefined);
      }),
    );
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Resolves once the run ends heard so far are counted. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async observeRun(id: number): Promise<void> {
    const run = await this.runs.get(id);
    this.runsFinished.inc({ status: run.status });
    if (run.started_at && run.finished_at) this.runDuration.observe({ status: run.status }, (run.finished_at.getTime() - run.started_at.getTime()) / 1000);
  }

  /** A call's model as a label: kept to the models calls succeeded with, so clients cannot make series without end. */
  private modelLabel(call: ModelCall): string {
    const model = call.model ?? '';
    if (this.models.has(model)) return model;
    if (call.status !== null && call.status < 300 && this.models.size < maxModelLabels) {
      this.models.add(model);
      return model;
    }
    return 'other';
  }

  private observeModelCall(call: ModelCall): void {
    const labels = { source: call.source, model: this.modelLabel(call) };
    this.modelCalls.inc({ ...labels, outcome: outcome(call) });
    this.modelLatency.observe(labels, call.duration_ms / 1000);
    if (call.first_byte_ms !== null) this.modelFirstByte.observe(labels, call.first_byte_ms / 1000);
    if (call.prompt_tokens) this.modelTokens.inc({ ...labels, kind: 'prompt' }, call.prompt_tokens);
    if (call.completion_tokens) this.modelTokens.inc({ ...labels, kind: 'completion' }, call.completion_tokens);
  }

  /** Counts an answered HTTP request under its route's pattern (`/tasks/:id`), never its raw URL. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
