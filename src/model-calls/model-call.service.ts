import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { conversationTable } from '../chat/chat.sql.js';
import { secretHider } from '../core/hide-secrets.js';
import { keptText, type HttpExchange } from '../core/http-exchange.js';
import { NotFoundError } from '../core/errors.js';
import type { PageOf } from '../core/schema-helpers.js';
import type { Database } from '../db/database.js';
import type { LogFeed } from '../logs/log-feed.js';
import { projectTable } from '../projects/project.sql.js';
import { runTable } from '../runs/run.sql.js';
import { taskTable } from '../tasks/task.sql.js';
import { exchangeTotals } from './exchange-totals.js';
import { modelCallTable, type ModelCallRow } from './model-call.sql.js';
import type { ModelCall, ModelCallDetail, ModelCallQuery, ModelCallSource, Usage, UsageQuery } from './model-call.schema.js';

/** What a call belongs to, when wfhub knows. */
export interface CallOwner {
  run_id?: number;
  conversation_id?: number;
}

/** A call as the listeners hear it once it is stored (metrics). */
export type ModelCallListener = (call: ModelCall) => void;

/** PostgreSQL stores neither NUL nor a lone surrogate (a body cut in the middle of a pair). */
function storable(text: string): string {
  return text.replace(/\0/g, '\uFFFD').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD');
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

function tokensPerSecond(tokens: number | null, generationMs: number | null, durationMs: number): number | null {
  if (!tokens) return null;
  const ms = generationMs && generationMs > 0 ? generationMs : durationMs;
  return ms > 0 ? Math.round((tokens / ms) * 10_000) / 10 : null;
}

function publicCall(row: ModelCallRow): ModelCall {
  const { request_body: _request, response_body: _response, generation_ms, ...rest } = row;
  return { ...rest, source: row.source as ModelCallSource, tokens_per_second: tokensPerSecond(row.completion_tokens, generation_ms, row.duration_ms) };
}

/** A duration as people read it: 840 ms, 12.3 s. */
function took(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function summary(call: ModelCall): string {
  const parts = [`${call.method} ${call.path}`];
  if (call.model) parts.push(call.model);
  parts.push(call.status === null ? 'no answer' : String(call.status));
  parts.push(`in ${took(call.duration_ms)}`);
  if (call.prompt_tokens !== null || call.completion_tokens !== null) {
    parts.push(`(${call.prompt_tokens ?? 0} + ${call.completion_tokens ?? 0} tokens${call.tokens_per_second ? `, ${call.tokens_per_second} tok/s` : ''})`);
  }
  const owner = call.run_id !== null ? `run ${call.run_id}` : call.conversation_id !== null ? `chat ${call.conversation_id}` : call.source === 'proxy' ? 'through /ollama' : 'agent';
  return `${parts.join(' ')} · ${owner}${call.error ? `: ${call.error}` : ''}`;
}

const usageKey = {
  model: sql`${modelCallTable.model}`,
  day: sql`to_char(${modelCallTable.created_at} at time zone 'UTC', 'YYYY-MM-DD')`,
  project: sql`${modelCallTable.project_id}`,
  task: sql`${modelCallTable.task_id}`,
  run: sql`${modelCallTable.run_id}`,
  source: sql`${modelCallTable.source}`,
} as const;

/**
 * Every call to the model server, wfhub's agent's and the `/ollama` proxy's alike: stored with
 * what it cost, told to the Logs panel's `ollama_http` channel, and summed as usage. Recording
 * never throws and never holds a call up.
 */
export class ModelCallService {
  private readonly listeners = new Set<ModelCallListener>();
  private readonly pending = new Set<Promise<void>>();

  private readonly hide: (text: string) => string;
  private prunedAt = 0;

  constructor(
    private readonly db: Database,
    private readonly logs: LogFeed,
    private readonly options: {
      onError?: (error: unknown) => void;
      /** Values no record may hold (the token, an API key): hidden wherever a body has them. */
      secrets?: readonly (string | undefined)[];
      /** How long calls are kept, in days (90 by default). */
      keepDays?: number;
    } = {},
  ) {
    this.hide = secretHider(options.secrets ?? []);
  }

  /** Records a call that has ended; the returned promise never rejects. */
  record(exchange: HttpExchange, source: ModelCallSource, owner: CallOwner = {}): Promise<void> {
    const done = this.store(exchange, source, owner).catch((error: unknown) => this.options.onError?.(error));
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    return done;
  }

  /** Waits for the calls being recorded (before the database closes). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Hears every call once it is stored, until the returned function is called. */
  subscribe(listener: ModelCallListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async store(exchange: HttpExchange, source: ModelCallSource, owner: CallOwner): Promise<void> {
    const totals = exchangeTotals(exchange.request, exchange.response);
    const values = {
      source,
      method: exchange.method,
      path: storable(pathOf(exchange.url)).slice(0, 2000),
      model: totals.model ? storable(totals.model).slice(0, 200) : null,
      status: exchange.status ?? null,
      error: exchange.error ? storable(this.hide(exchange.error)).slice(0, 2000) : null,
      duration_ms: Math.round(exchange.durationMs),
      first_byte_ms: exchange.firstByteMs === undefined ? null : Math.round(exchange.firstByteMs),
      prompt_tokens: totals.promptTokens ?? null,
      completion_tokens: totals.completionTokens ?? null,
      generation_ms: totals.generationMs === undefined ? null : Math.round(totals.generationMs),
      request_bytes: exchange.request.bytes,
      response_bytes: exchange.response.bytes,
      request_body: storable(this.hide(keptText(exchange.request))),
      response_body: storable(this.hide(keptText(exchange.response))),
      created_at: exchange.startedAt,
    };
    let row: ModelCallRow;
    try {
      row = await this.insert(values, owner);
    } catch (error) {
      // The run or conversation may be gone by now (deleted with its task): the call still counts.
      if (owner.run_id === undefined && owner.conversation_id === undefined) throw error;
      row = await this.insert(values, {});
    }
    await this.pruneNowAndThen();
    const call = publicCall(row);
    this.logs.append('ollama_http', call.error || (call.status !== null && call.status >= 400) ? 'warn' : 'info', summary(call), {
      call_id: call.id,
      source: call.source,
      method: call.method,
      path: call.path,
      model: call.model,
      status: call.status,
      duration_ms: call.duration_ms,
      prompt_tokens: call.prompt_tokens,
      completion_tokens: call.completion_tokens,
      tokens_per_second: call.tokens_per_second,
      ...(call.run_id !== null && { run_id: call.run_id }),
      ...(call.task_id !== null && { task_id: call.task_id }),
      ...(call.project_id !== null && { project_id: call.project_id }),
      ...(call.conversation_id !== null && { conversation_id: call.conversation_id }),
      ...(call.error && { error: call.error }),
    });
    for (const listener of this.listeners) {
      try {
        listener(call);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** Removes the calls older than the kept days, at most once an hour and a batch at a time. */
  private async pruneNowAndThen(): Promise<void> {
    if (Date.now() - this.prunedAt < 3_600_000) return;
    this.prunedAt = Date.now();
    const days = this.options.keepDays ?? 90;
    await this.db.execute(
      sql`delete from ${modelCallTable} where ${modelCallTable.id} in (select ${modelCallTable.id} from ${modelCallTable} where ${modelCallTable.created_at} < now() - make_interval(days => ${days}) limit 10000)`,
    );
  }

  /** Inserts a call with its owner's task and project, looked up in the same statement. */
  private async insert(values: typeof modelCallTable.$inferInsert, owner: CallOwner): Promise<ModelCallRow> {
    const runId = owner.run_id ?? null;
    const conversationId = owner.conversation_id ?? null;
    const [row] = await this.db
      .insert(modelCallTable)
      .values({
        ...values,
        run_id: runId,
        conversation_id: conversationId,
        task_id: runId === null ? null : sql`(select ${runTable.task_id} from ${runTable} where ${runTable.id} = ${runId})`,
        project_id:
          runId !== null
            ? sql`(select ${taskTable.project_id} from ${runTable} join ${taskTable} on ${taskTable.id} = ${runTable.task_id} where ${runTable.id} = ${runId})`
            : conversationId !== null
              ? sql`(select ${conversationTable.project_id} from ${conversationTable} where ${conversationTable.id} = ${conversationId})`
              : null,
      })
      .returning();
    return row!;
  }

  /** Calls, newest first, a page at a time (`before` the last id seen). */
  async list(query: ModelCallQuery): Promise<PageOf<ModelCall>> {
    const where = and(...this.filters(query));
    const paged = and(where, query.before === undefined ? undefined : lt(modelCallTable.id, query.before));
    const [rows, [counted]] = await Promise.all([
      this.db.select().from(modelCallTable).where(paged).orderBy(desc(modelCallTable.id)).limit(query.limit),
      this.db.select({ total: sql<number>`count(*)::int` }).from(modelCallTable).where(paged),
    ]);
    return { items: rows.map(publicCall), total: counted?.total ?? 0 };
  }

  async get(id: number): Promise<ModelCallDetail> {
    const [row] = await this.db.select().from(modelCallTable).where(eq(modelCallTable.id, id));
    if (!row) throw new NotFoundError('model_call_not_found', `There is no model call ${id}: GET /model-calls lists them.`);
    return { ...publicCall(row), request_body: row.request_body, response_body: row.response_body };
  }

  private filters(query: { source?: ModelCallSource; model?: string; run_id?: number; task_id?: number; project_id?: number }): (SQL | undefined)[] {
    return [
      query.source === undefined ? undefined : eq(modelCallTable.source, query.source),
      query.model === undefined ? undefined : eq(modelCallTable.model, query.model),
      query.run_id === undefined ? undefined : eq(modelCallTable.run_id, query.run_id),
      query.task_id === undefined ? undefined : eq(modelCallTable.task_id, query.task_id),
      query.project_id === undefined ? undefined : eq(modelCallTable.project_id, query.project_id),
    ];
  }

  /** Tokens, calls, durations and speed, summed by model, day, project, task, run or source. */
  async usage(query: UsageQuery): Promise<Usage> {
    const where = and(
      ...this.filters(query),
      query.from === undefined ? undefined : sql`${modelCallTable.created_at} >= ${`${query.from}T00:00:00Z`}::timestamptz`,
      query.to === undefined ? undefined : sql`${modelCallTable.created_at} < (${`${query.to}T00:00:00Z`}::timestamptz + interval '1 day')`,
    );
    const sums = {
      calls: sql<number>`count(*)::int`,
      failed_calls: sql<number>`(count(*) filter (where ${modelCallTable.error} is not null or ${modelCallTable.status} >= 400))::int`,
      prompt_tokens: sql<number>`coalesce(sum(${modelCallTable.prompt_tokens}), 0)::bigint`,
      completion_tokens: sql<number>`coalesce(sum(${modelCallTable.completion_tokens}), 0)::bigint`,
      duration_ms: sql<number>`coalesce(sum(${modelCallTable.duration_ms}), 0)::bigint`,
      // The time generating the completions: the server's own measure where it gave one.
      generation_ms: sql<number>`coalesce(sum(coalesce(${modelCallTable.generation_ms}, ${modelCallTable.duration_ms})) filter (where ${modelCallTable.completion_tokens} > 0), 0)::bigint`,
      first_at: sql<string | null>`min(${modelCallTable.created_at})`,
      last_at: sql<string | null>`max(${modelCallTable.created_at})`,
    };
    const key = usageKey[query.by];
    const tokens = sql`coalesce(sum(${modelCallTable.prompt_tokens}), 0) + coalesce(sum(${modelCallTable.completion_tokens}), 0)`;
    const [totalRows, groupRows] = await Promise.all([
      this.db.select(sums).from(modelCallTable).where(where),
      this.db
        .select({ key: sql<string | number | null>`${key}`.as('key'), ...sums })
        .from(modelCallTable)
        .where(where)
        .groupBy(key)
        .orderBy(query.by === 'day' ? sql`${key} desc nulls last` : sql`${tokens} desc, count(*) desc`)
        .limit(query.limit),
    ]);
    const labels = await this.labels(query.by, groupRows.map((row) => row.key));
    const shaped = (row: (typeof totalRows)[number]) => {
      const calls = Number(row.calls);
      const duration = Number(row.duration_ms);
      const completion = Number(row.completion_tokens);
      const generation = Number(row.generation_ms);
      return {
        calls,
        failed_calls: Number(row.failed_calls),
        prompt_tokens: Number(row.prompt_tokens),
        completion_tokens: completion,
        duration_ms: duration,
        average_ms: calls > 0 ? Math.round(duration / calls) : null,
        tokens_per_second: completion > 0 && generation > 0 ? Math.round((completion / generation) * 10_000) / 10 : null,
        first_at: row.first_at === null ? null : new Date(row.first_at),
        last_at: row.last_at === null ? null : new Date(row.last_at),
      };
    };
    return {
      by: query.by,
      from: query.from ?? null,
      to: query.to ?? null,
      totals: shaped(totalRows[0]!),
      rows: groupRows.map((row) => {
        const id = row.key === null ? null : ['project', 'task', 'run'].includes(query.by) ? Number(row.key) : String(row.key);
        const owner = id === null ? undefined : labels.get(id);
        return { key: id, label: owner?.name ?? null, project_id: owner?.project_id ?? null, task_id: owner?.task_id ?? null, ...shaped(row) };
      }),
    };
  }

  /** The names the rows of a grouping by project, task or run are shown with, and where each belongs. */
  private async labels(by: UsageQuery['by'], keys: readonly (string | number | null)[]): Promise<Map<string | number, { name: string; project_id: number | null; task_id: number | null }>> {
    const ids = keys.filter((key): key is string | number => key !== null).map(Number);
    const labels = new Map<string | number, { name: string; project_id: number | null; task_id: number | null }>();
    if (ids.length === 0) return labels;
    const list = sql.join(ids.map((id) => sql`${id}`), sql`, `);
    if (by === 'project') {
      const rows = await this.db.select({ id: projectTable.id, name: projectTable.name }).from(projectTable).where(sql`${projectTable.id} in (${list})`);
      for (const row of rows) labels.set(row.id, { name: row.name, project_id: row.id, task_id: null });
    } else if (by === 'task') {
      const rows = await this.db.select({ id: taskTable.id, name: taskTable.title, project_id: taskTable.project_id }).from(taskTable).where(sql`${taskTable.id} in (${list})`);
      for (const row of rows) labels.set(row.id, { name: row.name, project_id: row.project_id, task_id: row.id });
    } else if (by === 'run') {
      const rows = await this.db
        .select({ id: runTable.id, name: taskTable.title, project_id: taskTable.project_id, task_id: taskTable.id })
        .from(runTable)
        .innerJoin(taskTable, eq(taskTable.id, runTable.task_id))
        .where(sql`${runTable.id} in (${list})`);
      for (const row of rows) labels.set(row.id, { name: row.name, project_id: row.project_id, task_id: row.task_id });
    }
    return labels;
  }
}
