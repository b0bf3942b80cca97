import { and, asc, count, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { Page, PageOf } from '../core/schema-helpers.js';
import { commentTable } from '../comments/comment.sql.js';
import type { ChangeFeed } from '../db/change-feed.js';
import { postgresConstraint, postgresErrorCode, rowsOf, uniqueViolation, type Database } from '../db/database.js';
import type { NodeService } from '../nodes/node.service.js';
import { nodeTable } from '../nodes/node.sql.js';
import { requireTask } from '../tasks/task-lookup.js';
import { projectTable } from '../projects/project.sql.js';
import { taskTable } from '../tasks/task.sql.js';
import type { TaskStatus } from '../tasks/task-fields.js';
import type { Run, RunEvent, RunIsolation, RunStatus, RunTrigger } from './run.schema.js';
import type { GateResult } from './gate-result.schema.js';
import type { Verdict } from './run-gates.js';
import { runComment } from './run-comment.js';
import { runEventTable, runTable, type RunRow } from './run.sql.js';
import { runCommentAuthor } from '../context/task-prompt.js';

/** Where a run may execute (see RunService.routeForTask). */
export interface RunRoute {
  remote: boolean;
  workspacesId: string | null;
}

/** How a run ended, as the worker records it. */
export interface RunOutcome {
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled' | 'interrupted'>;
  error?: { code: string; message: string };
  summary?: string;
  filesChanged?: readonly string[];
  steps?: number;
  promptTokens?: number;
  completionTokens?: number;
  provider?: string;
  model?: string;
  gitHeadAfter?: string;
  diff?: string;
  /** The role's own checks and their evidence (see RunGates). */
  gates?: readonly GateResult[];
  verdict?: Verdict | null;
}

/** What the task becomes when its run ends: success goes to review, failure says so, a cancel puts it back. */
const taskStatusAfter: Record<RunOutcome['status'], TaskStatus> = {
  succeeded: 'review',
  failed: 'failed',
  cancelled: 'todo',
  interrupted: 'todo',
};

/** A run is tried at most this many times in all (the first, and one automatic retry). */
const maxAttempts = 2;

/** Tools that only look: a run that called nothing else changed nothing. */
const lookingTools = ['read', 'glob', 'grep', 'finish'];

/**
 * PostgreSQL's jsonb cannot hold a NUL character, which a model or a command may well print: it is
 * kept visible as U+FFFD instead of failing the run.
 */
function storable(data: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(data);
  return text.includes('\\u0000') ? (JSON.parse(text.replaceAll('\\u0000', '\\ufffd')) as Record<string, unknown>) : data;
}

function present(row: RunRow): Run {
  return {
    id: row.id,
    task_id: row.task_id,
    node_id: row.node_id,
    status: row.status as RunStatus,
    executor: row.executor,
    provider: row.provider,
    model: row.model,
    message: row.message,
    prompt: row.prompt,
    steps: row.steps,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    summary: row.summary,
    files_changed: row.files_changed,
    isolation: row.isolation as Run['isolation'],
    branch: row.branch,
    git_head_before: row.git_head_before,
    git_head_after: row.git_head_after,
    gates: row.gates as unknown as GateResult[],
    verdict: (row.verdict as Verdict | null) ?? null,
    attempt: row.attempt,
    retry_of: row.retry_of,
    worker: row.worker,
    started_at: row.started_at,
    undone_at: row.undone_at,
    finished_at: row.finished_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * The run records: created queued by a trigger, claimed by a worker, ended once. Every change of
 * status is a conditional update, so two workers, a cancel and a crash recovery can race without
 * a run ending twice.
 */
export class RunService {
  constructor(
    private readonly db: Database,
    private readonly nodes: NodeService,
    private readonly feed: ChangeFeed,
    private readonly options: {
      /** Sends a run's job inside the caller's transaction; without it, interrupted runs are not retried. */
      enqueue?: (transaction: Database, runId: number, route: RunRoute) => Promise<void>;
    } = {},
  ) {}

  /** Tells listeners that a run changed, and its task with it when the task's status moved. */
  private published(op: 'created' | 'updated', run: Run, projectId?: number): Run {
    this.feed.publish({ kind: 'run', op, id: run.id, task_id: run.task_id, status: run.status });
    if (projectId !== undefined) this.feed.publish({ kind: 'task', op: 'updated', id: run.task_id, project_id: projectId });
    return run;
  }

  /**
   * Creates a queued run for a task; `enqueue` runs in the same transaction, so a run is never
   * recorded without its job, nor a job sent for a run that was not recorded. `within`: inside
   * the caller's transaction, whose commit then publishes nothing itself (the caller tells the feed).
   */
  async create(taskId: number, input: RunTrigger, enqueue: (transaction: Database, run: Run) => Promise<void>, within?: Database): Promise<Run> {
    // Inside a transaction on the embedded database (one connection), every query must go through it.
    const node = input.node === undefined ? undefined : within ? await this.nodeIn(within, input.node) : await this.nodes.find(input.node);
    try {
      // Within a caller's transaction (the director's), as a savepoint: a refusal leaves it usable.
      const { run, projectId } = await (within ?? this.db).transaction(async (transaction) => {
        const db = transaction as unknown as Database;
        const task = await requireTask(db, taskId);
        const nodeId = node?.id ?? task.node_id;
        const executor = input.executor ?? (await this.executorFor(db, nodeId, task.project_id));
        const [row] = await db
          .insert(runTable)
          .values({ task_id: taskId, node_id: nodeId, executor, model: input.model ?? null, message: input.message ?? null })
          .returning();
        const run = present(row!);
        await db.update(taskTable).set({ status: 'in_progress', updated_at: new Date() }).where(eq(taskTable.id, taskId));
        await enqueue(db, run);
        return { run, projectId: task.project_id };
      });
      return within ? run : this.published('created', run, projectId);
    } catch (error) {
      if (postgresErrorCode(error) === uniqueViolation && postgresConstraint(error) === 'task_run_active_idx') {
        const active = await this.activeRun(taskId, within);
        throw new ConflictError(
          'run_active',
          `Task ${taskId} already has a run ${active ? `(${active.id}, ${active.status})` : ''} queued or running. Wait for it to end, or cancel it with POST /runs/${active?.id ?? '{id}'}/cancel.`,
          { task_id: taskId, run_id: active?.id },
        );
      }
      throw error;
    }
  }

  /** Tells listeners of a run made inside a caller's transaction, once it has committed. */
  announce(run: Run, projectId: number): void {
    this.published('created', run, projectId);
  }

  /** Who does a run's work when its trigger does not say: its role's executor, else its project's, else wfhub's own agent. */
  private async executorFor(db: Database, nodeId: number | null, projectId: number): Promise<string> {
    if (nodeId !== null) {
      const [row] = await db.select({ executor: nodeTable.executor }).from(nodeTable).where(eq(nodeTable.id, nodeId));
      if (row?.executor) return row.executor;
    }
    const [project] = await db.select({ settings: projectTable.settings }).from(projectTable).where(eq(projectTable.id, projectId));
    const chosen = (project?.settings as Record<string, unknown> | undefined)?.executor;
    return typeof chosen === 'string' ? chosen : 'builtin';
  }

  private async nodeIn(db: Database, reference: string | number): Promise<{ id: number }> {
    const [row] = await db
      .select({ id: nodeTable.id })
      .from(nodeTable)
      .where(typeof reference === 'number' ? eq(nodeTable.id, reference) : eq(nodeTable.name, reference));
    if (!row) throw new NotFoundError('node', reference);
    return row;
  }

  private async activeRun(taskId: number, db: Database = this.db): Promise<RunRow | undefined> {
    const [row] = await db
      .select()
      .from(runTable)
      .where(and(eq(runTable.task_id, taskId), inArray(runTable.status, ['queued', 'running'])));
    return row;
  }

  async get(id: number): Promise<Run> {
    const [row] = await this.db.select().from(runTable).where(eq(runTable.id, id));
    if (!row) throw new NotFoundError('run', id);
    return present(row);
  }

  /** A task's runs, newest first. */
  async listForTask(taskId: number, page: Page): Promise<PageOf<Run>> {
    await requireTask(this.db, taskId);
    const where = eq(runTable.task_id, taskId);
    const [rows, [total]] = await Promise.all([
      this.db.select().from(runTable).where(where).orderBy(desc(runTable.id)).limit(page.limit).offset(page.offset),
      this.db.select({ value: count() }).from(runTable).where(where),
    ]);
    return { items: rows.map(present), total: total?.value ?? 0 };
  }

  /** A run's events in order, after `afterSeq` (0 for all). */
  async events(runId: number, query: { afterSeq: number; limit: number }): Promise<PageOf<RunEvent>> {
    await this.get(runId);
    const [items, [total]] = await Promise.all([
      this.eventsAfter(runId, query.afterSeq, query.limit),
      this.db.select({ value: count() }).from(runEventTable).where(eq(runEventTable.run_id, runId)),
    ]);
    return { items, total: total?.value ?? 0 };
  }

  /** Up to `limit` of a run's events after `afterSeq`, in order (nothing for an unknown run). */
  async eventsAfter(runId: number, afterSeq: number, limit: number): Promise<RunEvent[]> {
    const rows = await this.db
      .select()
      .from(runEventTable)
      .where(and(eq(runEventTable.run_id, runId), gt(runEventTable.seq, afterSeq)))
      .orderBy(asc(runEventTable.seq))
      .limit(limit);
    return rows.map((row) => ({ seq: row.seq, type: row.type, at: row.created_at.toISOString(), data: row.data }));
  }

  /** The diff a run made (empty when it changed nothing or git could not record it). */
  async diff(id: number): Promise<string> {
    const [row] = await this.db.select({ diff: runTable.diff }).from(runTable).where(eq(runTable.id, id));
    if (!row) throw new NotFoundError('run', id);
    return row.diff ?? '';
  }

  /** Stores one event, before the run goes on: a crash after this keeps it. */
  async appendEvent(runId: number, event: { seq: number; type: string; data: Record<string, unknown> }): Promise<void> {
    await this.db.insert(runEventTable).values({ run_id: runId, seq: event.seq, type: event.type, data: storable(event.data) });
    this.feed.publish({ kind: 'run_event', run_id: runId, seq: event.seq });
  }

  /**
   * Claims a queued run for a worker. `busy` when it would work in the workspace itself while
   * another run of the project does (runs in one workspace take turns: the project's row is
   * locked while this is decided, so two workers cannot both see it free); runs in their tasks'
   * own worktrees never wait for each other. `gone` when the run is no longer queued (cancelled).
   */
  async claim(id: number, worker: string, leaseMs: number, isolation: RunIsolation = 'in-place'): Promise<Run | 'busy' | 'gone'> {
    const claimed = await this.db.transaction(async (transaction): Promise<Run | 'busy' | 'gone'> => {
      const db = transaction as unknown as Database;
      const [target] = await db
        .select({ projectId: taskTable.project_id, taskId: taskTable.id, status: runTable.status })
        .from(runTable)
        .innerJoin(taskTable, eq(taskTable.id, runTable.task_id))
        .where(eq(runTable.id, id));
      if (!target || target.status !== 'queued') return 'gone';
      await db.execute(sql`select id from projects where id = ${target.projectId} for update`);
      // A delete of the task (which locks it for update) waits for this claim, or this for it:
      // a task is never deleted under a run that is starting.
      const [task] = rowsOf<{ id: number }>(await db.execute(sql`select id from tasks where id = ${target.taskId} for share`));
      if (!task) return 'gone';
      if (isolation === 'in-place' && (await this.hasRunningInProject(target.projectId, db))) return 'busy';
      const now = new Date();
      const [row] = await db
        .update(runTable)
        .set({ status: 'running', worker, isolation, started_at: now, lease_expires_at: new Date(now.getTime() + leaseMs), updated_at: now })
        .where(and(eq(runTable.id, id), eq(runTable.status, 'queued')))
        .returning();
      return row ? present(row) : 'gone';
    });
    return typeof claimed === 'string' ? claimed : this.published('updated', claimed);
  }

  /**
   * Where a task's runs may execute: anywhere when its project has a git remote (a worker
   * without the folder clones it), else only where its workspaces dir is seen.
   */
  async routeForTask(taskId: number, db: Database = this.db): Promise<RunRoute> {
    const [row] = await db
      .select({ remote: sql<string | null>`${projectTable.settings}->>'git_remote'`, workspacesId: projectTable.workspaces_id })
      .from(taskTable)
      .innerJoin(projectTable, eq(projectTable.id, taskTable.project_id))
      .where(eq(taskTable.id, taskId));
    if (!row) throw new NotFoundError('task', taskId);
    return { remote: Boolean(row.remote), workspacesId: row.workspacesId };
  }

  /** The route of a run's task (see routeForTask). */
  async routeForRun(runId: number): Promise<RunRoute> {
    return this.routeForTask((await this.get(runId)).task_id);
  }

  /** Ids of the runs waiting to be taken, oldest first. */
  async queuedIds(): Promise<number[]> {
    const rows = await this.db.select({ id: runTable.id }).from(runTable).where(eq(runTable.status, 'queued')).orderBy(asc(runTable.id));
    return rows.map((row) => row.id);
  }

  /** Whether a run of one of the project's tasks is running in its workspace now (worktree runs aside). */
  async hasRunningInProject(projectId: number, db: Database = this.db): Promise<boolean> {
    const [row] = await db
      .select({ id: runTable.id })
      .from(runTable)
      .innerJoin(taskTable, eq(taskTable.id, runTable.task_id))
      .where(and(eq(taskTable.project_id, projectId), eq(runTable.status, 'running'), eq(runTable.isolation, 'in-place')))
      .limit(1);
    return row !== undefined;
  }

  /** Takes a run for its undo, once: false when it is undone, or being undone, already. */
  async claimUndo(id: number): Promise<boolean> {
    const rows = await this.db
      .update(runTable)
      .set({ undone_at: new Date() })
      .where(and(eq(runTable.id, id), sql`${runTable.undone_at} is null`))
      .returning({ id: runTable.id });
    return rows.length > 0;
  }

  /** An undo that failed leaves the run undoable again. */
  async releaseUndo(id: number): Promise<void> {
    await this.db.update(runTable).set({ undone_at: null }).where(eq(runTable.id, id));
  }

  /** After an undo: the task, in review for the run's work, goes back to todo. */
  async finishUndo(id: number): Promise<Run> {
    const now = new Date();
    const run = await this.get(id);
    const [task] = await this.db
      .update(taskTable)
      .set({ status: 'todo', updated_at: now })
      .where(and(eq(taskTable.id, run.task_id), eq(taskTable.status, 'review')))
      .returning({ project_id: taskTable.project_id });
    return this.published('updated', run, task?.project_id);
  }

  /** Refuses, with what to do, while one of the tasks has a run running (a task is not deleted under its agent). */
  async refuseIfRunning(db: Database, taskIds: readonly number[]): Promise<void> {
    if (taskIds.length === 0) return;
    const [running] = await db
      .select({ id: runTable.id, task_id: runTable.task_id })
      .from(runTable)
      .where(and(inArray(runTable.task_id, [...taskIds]), eq(runTable.status, 'running')))
      .limit(1);
    if (running) {
      throw new ConflictError(
        'run_active',
        `Run ${running.id} of task ${running.task_id} is running: cancel it (POST /runs/${running.id}/cancel), then delete.`,
        { run_id: running.id, task_id: running.task_id },
      );
    }
  }

  /** The task's queued or running run, if it has one. */
  async activeForTask(taskId: number): Promise<Run | undefined> {
    const row = await this.activeRun(taskId);
    return row && present(row);
  }

  /** Where the run works: the commit it starts from and its branch. */
  async recordCheckout(id: number, checkout: { headBefore: string; branch: string | undefined }): Promise<void> {
    await this.db.update(runTable).set({ git_head_before: checkout.headBefore, branch: checkout.branch ?? null }).where(eq(runTable.id, id));
  }

  /** The task message as the run sent it, fitted to its model's window. */
  async recordPrompt(id: number, prompt: string): Promise<void> {
    await this.db.update(runTable).set({ prompt }).where(eq(runTable.id, id));
  }

  /** Renews a running run's lease; false when the run is no longer this worker's. */
  async renewLease(id: number, worker: string, leaseMs: number): Promise<boolean> {
    const rows = await this.db
      .update(runTable)
      .set({ lease_expires_at: new Date(Date.now() + leaseMs) })
      .where(and(eq(runTable.id, id), eq(runTable.status, 'running'), eq(runTable.worker, worker)))
      .returning({ id: runTable.id });
    return rows.length > 0;
  }

  /**
   * Ends a run (queued or running) once, moves its task on and comments the outcome on it, all
   * in one transaction. Answers the ended run, or undefined when it had already ended (a cancel
   * that lost the race, say).
   */
  async finish(id: number, outcome: RunOutcome): Promise<Run | undefined> {
    const ended = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      const now = new Date();
      const [row] = await db
        .update(runTable)
        .set({
          status: outcome.status,
          error_code: outcome.error?.code ?? null,
          error_message: outcome.error?.message ?? null,
          summary: outcome.summary ?? null,
          ...(outcome.filesChanged && { files_changed: [...outcome.filesChanged] }),
          ...(outcome.steps !== undefined && { steps: outcome.steps }),
          ...(outcome.promptTokens !== undefined && { prompt_tokens: outcome.promptTokens }),
          ...(outcome.completionTokens !== undefined && { completion_tokens: outcome.completionTokens }),
          ...(outcome.provider && { provider: outcome.provider }),
          ...(outcome.model && { model: outcome.model }),
          ...(outcome.gitHeadAfter && { git_head_after: outcome.gitHeadAfter }),
          ...(outcome.diff !== undefined && { diff: outcome.diff }),
          ...(outcome.gates && { gates: outcome.gates.map((gate) => storable({ ...gate })) }),
          ...(outcome.verdict !== undefined && { verdict: outcome.verdict }),
          lease_expires_at: null,
          finished_at: now,
          updated_at: now,
        })
        .where(and(eq(runTable.id, id), inArray(runTable.status, ['queued', 'running'])))
        .returning();
      if (!row) return undefined;
      const retry = outcome.status === 'interrupted' ? await this.retryUntouched(db, row) : undefined;
      // A task whose run is tried again stays in progress.
      const [task] = retry
        ? await db.select({ project_id: taskTable.project_id }).from(taskTable).where(eq(taskTable.id, row.task_id))
        : await db
            .update(taskTable)
            .set({ status: taskStatusAfter[outcome.status], updated_at: now })
            .where(and(eq(taskTable.id, row.task_id), eq(taskTable.status, 'in_progress')))
            .returning({ project_id: taskTable.project_id });
      const run = present(row);
      const [role] = run.node_id === null ? [] : await db.select({ name: nodeTable.name }).from(nodeTable).where(eq(nodeTable.id, run.node_id));
      const [comment] = await db
        .insert(commentTable)
        .values({ task_id: run.task_id, author: runCommentAuthor, body: runComment(run, retry, role?.name) })
        .returning({ id: commentTable.id });
      return { run, retry, projectId: task?.project_id, commentId: comment!.id };
    });
    if (!ended) return undefined;
    if (ended.retry) this.published('created', ended.retry);
    this.published('updated', ended.run, ended.retry ? undefined : ended.projectId);
    this.feed.publish({ kind: 'comment', op: 'created', id: ended.commentId, task_id: ended.run.task_id });
    return ended.run;
  }

  /**
   * An interrupted run that changed nothing (it called no tool but those that only look) is
   * tried again once, as a new queued run in the same transaction, so the crash or restart that
   * stopped it costs the user nothing. A run that may have changed files is left for the user
   * to look at: trying it again could do its changes twice.
   */
  private async retryUntouched(db: Database, row: RunRow): Promise<Run | undefined> {
    if (!this.options.enqueue || row.attempt >= maxAttempts || row.files_changed.length > 0) return undefined;
    const touching = await db
      .select({ seq: runEventTable.seq })
      .from(runEventTable)
      .where(
        and(
          eq(runEventTable.run_id, row.id),
          eq(runEventTable.type, 'tool.called'),
          sql`coalesce(${runEventTable.data}->>'name', '') not in (${sql.join(lookingTools.map((name) => sql`${name}`), sql`, `)})`,
        ),
      )
      .limit(1);
    if (touching.length > 0) return undefined;
    const [retry] = await db
      .insert(runTable)
      .values({ task_id: row.task_id, node_id: row.node_id, model: row.model, message: row.message, attempt: row.attempt + 1, retry_of: row.id })
      .returning();
    const run = present(retry!);
    await this.options.enqueue(db, run.id, await this.routeForTask(run.task_id, db));
    return run;
  }


  /**
   * Runs whose worker stopped renewing its lease (a crash, `kill -9`) end as interrupted, so
   * nothing stays "running" for ever. With `everyRunning`, every running run does (the embedded
   * database: one process, so at start nothing can still be running).
   */
  async interruptAbandoned(options: { everyRunning?: boolean } = {}): Promise<Run[]> {
    const abandoned = await this.db
      .select({ id: runTable.id })
      .from(runTable)
      .where(
        options.everyRunning
          ? eq(runTable.status, 'running')
          : and(eq(runTable.status, 'running'), sql`${runTable.lease_expires_at} < now()`),
      );
    const ended: Run[] = [];
    for (const { id } of abandoned) {
      const run = await this.finish(id, {
        status: 'interrupted',
        error: { code: 'interrupted', message: 'The process running it stopped (a crash or a restart) before it ended.' },
        ...(await this.recordedSoFar(id)),
      });
      if (run) ended.push(run);
    }
    return ended;
  }

  /**
   * What a run whose process died had done, read from the events it recorded: its steps, tokens
   * and model, and the files its tools changed (so its undo knows them, and its retry is not
   * made when it changed something).
   */
  private async recordedSoFar(id: number): Promise<Partial<RunOutcome>> {
    const [usage] = rowsOf<{ steps: number; prompt: number; completion: number; model: string | null; provider: string | null }>(
      await this.db.execute(sql`
        select count(*) filter (where type = 'llm.response')::int as steps,
          coalesce(sum((data->>'prompt_tokens')::int) filter (where type = 'llm.response'), 0)::int as prompt,
          coalesce(sum((data->>'completion_tokens')::int) filter (where type = 'llm.response'), 0)::int as completion,
          (array_agg(data->>'model') filter (where type = 'run.started'))[1] as model,
          (array_agg(data->>'provider') filter (where type = 'run.started'))[1] as provider
        from run_events where run_id = ${id}`),
    );
    const files = rowsOf<{ file: string }>(
      await this.db.execute(sql`
        select file from (
          select jsonb_array_elements_text(data->'files_changed') as file
          from run_events where run_id = ${id} and type = 'tool.result' and jsonb_typeof(data->'files_changed') = 'array'
          union
          -- A write or edit under way when the process died may have changed its file.
          select called.data->'arguments'->>'path' from run_events called
          where called.run_id = ${id} and called.type = 'tool.called' and called.data->>'name' in ('write', 'edit')
            and jsonb_typeof(called.data->'arguments'->'path') = 'string'
            and not exists (select 1 from run_events result where result.run_id = ${id} and result.type = 'tool.result' and result.data->>'call_id' = called.data->>'call_id')
        ) touched where file is not null and file <> '' order by file`),
    ).map((row) => row.file);
    // A command under way when the process died may have changed files nobody can name.
    const [command] = rowsOf<{ seq: number }>(
      await this.db.execute(sql`
        select called.seq from run_events called
        where called.run_id = ${id} and called.type = 'tool.called' and called.data->>'name' = 'bash'
          and not exists (select 1 from run_events result where result.run_id = ${id} and result.type = 'tool.result' and result.data->>'call_id' = called.data->>'call_id')
        limit 1`),
    );
    return {
      ...(command && {
        error: {
          code: 'interrupted',
          message: 'The process running it stopped (a crash or a restart) before it ended, while a command was running: files that command changed may be missing from the list.',
        },
      }),
      steps: Number(usage?.steps ?? 0),
      promptTokens: Number(usage?.prompt ?? 0),
      completionTokens: Number(usage?.completion ?? 0),
      ...(usage?.model && { model: usage.model }),
      ...(usage?.provider && { provider: usage.provider }),
      ...(files.length > 0 && { filesChanged: files }),
    };
  }
}
