import { and, eq, gt, gte, inArray, max, ne, notInArray, or, sql } from 'drizzle-orm';
import { criterionTable } from '../acceptance-criteria/criterion.sql.js';
import { commentTable } from '../comments/comment.sql.js';
import { projectTable } from '../projects/project.sql.js';
import { runCommentAuthor } from '../context/task-prompt.js';
import { AppError, ConflictError, NotFoundError } from '../core/errors.js';
import { OneAtATime } from '../core/one-at-a-time.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import type { Run } from '../runs/run.schema.js';
import type { GateResult } from '../runs/gate-result.schema.js';
import type { RunScheduler } from '../runs/run-scheduler.js';
import type { RunService } from '../runs/run.service.js';
import { runTable, type RunRow } from '../runs/run.sql.js';
import { taskDependencyTable } from '../tasks/task-dependency.sql.js';
import { finishedTaskStatuses, type TaskStatus } from '../tasks/task-fields.js';
import { taskTable, type TaskRow } from '../tasks/task.sql.js';
import type { PipelineService } from './pipeline.service.js';
import { readPlan, type Plan } from './pm-plan.js';
import { describeGate, overstepGateName } from './stage-gates.js';
import { taskPipelineTable, type TaskPipelineRow } from './task-pipeline.sql.js';

export interface DirectorOptions {
  /** How often every task on autopilot is looked at, for changes heard by no one. */
  sweepMs?: number;
  onError?: (error: unknown, taskId?: number) => void;
  /** Told of each move, for the operator's log. */
  onMove?: (taskId: number, message: string) => void;
}

/** A failed gate as the pipeline keeps it, for the card and the next dev run. */
export interface PipelineFailure {
  node: string;
  run_id: number;
  message: string;
  gates: GateResult[];
}

/** What one decision changed, told once its transaction has committed. */
interface Moves {
  runs: Run[];
  /** Subtasks the pm's plan made. */
  created: number[];
  comments: number[];
  taskChanged: boolean;
  messages: string[];
}

/**
 * Takes tasks on autopilot through their project's pipeline: starts the run of each role in
 * turn through the runs machinery, reads each reviewing role's verdict when its run ends, sends
 * the task back to dev when a gate fails (up to the attempt limit, then blocks it), and marks it
 * done when every gate has passed. Woken by the change feed, and sweeping now and then.
 *
 * Every decision is made with the task's pipeline row locked (`skip locked`: a second director
 * leaves the task to the first) and in the transaction that starts the next run, so a crash or
 * a restart finds either that run or nothing: no stage is ever started twice.
 */
export class Director {
  private readonly sweepMs: number;
  private readonly turns = new OneAtATime<number>();
  private readonly pending = new Set<number>();
  private readonly working = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly db: Database,
    private readonly feed: ChangeFeed,
    private readonly runs: RunService,
    private readonly scheduler: RunScheduler,
    private readonly pipelines: PipelineService,
    private readonly options: DirectorOptions = {},
  ) {
    this.sweepMs = options.sweepMs ?? 30_000;
  }

  /** Listens for task and run changes and sweeps now and then; the first sweep is now. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.feed.subscribe((change) => {
      if (change.kind === 'task' && change.op !== 'deleted') {
        this.soon(change.id);
        this.soonDependantsOf(change.id);
      } else if (change.kind === 'run' && change.op === 'updated' && !['queued', 'running'].includes(change.status)) {
        this.soon(change.task_id);
      } else if (change.kind === 'resync') {
        this.sweepInBackground();
      }
    });
    const tick = () => {
      this.sweepInBackground();
      this.sweeper = setTimeout(tick, this.sweepMs).unref();
    };
    tick();
  }

  /** Stops deciding; decisions under way finish (each is one short transaction). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.sweeper);
    this.pending.clear();
    await Promise.allSettled([...this.working]);
  }

  /** Looks at the task soon, once however many changes asked for it meanwhile. */
  private soon(taskId: number): void {
    if (this.stopped || this.pending.has(taskId)) return;
    this.pending.add(taskId);
    const work = this.turns
      .run(taskId, async () => {
        this.pending.delete(taskId);
        if (!this.stopped) await this.step(taskId);
      })
      .catch((error: unknown) => this.options.onError?.(error, taskId));
    this.working.add(work);
    void work.finally(() => this.working.delete(work));
  }

  private soonDependantsOf(taskId: number): void {
    void this.db
      .select({ id: taskDependencyTable.task_id })
      .from(taskDependencyTable)
      .where(eq(taskDependencyTable.blocked_by_id, taskId))
      .then((rows) => rows.forEach((row) => this.soon(row.id)))
      .catch((error: unknown) => this.options.onError?.(error, taskId));
  }

  private sweepInBackground(): void {
    void this.sweep().catch((error: unknown) => this.options.onError?.(error));
  }

  /** Every task the director may have something to do for (made or changed while it was away). */
  async sweep(): Promise<void> {
    const rows = await this.db
      .select({ id: taskTable.id })
      .from(taskTable)
      .leftJoin(taskPipelineTable, eq(taskPipelineTable.task_id, taskTable.id))
      .where(
        or(
          and(
            eq(taskTable.autopilot, true),
            ne(taskTable.status, 'cancelled'),
            or(
              sql`${taskPipelineTable.state} is null`,
              inArray(taskPipelineTable.state, ['waiting', 'running', 'stopped']),
              and(eq(taskPipelineTable.state, 'blocked'), ne(taskTable.status, 'blocked')),
              and(inArray(taskPipelineTable.state, ['passed', 'overridden']), eq(taskTable.status, 'todo')),
            ),
          ),
          inArray(taskPipelineTable.state, ['waiting', 'running']),
        ),
      );
    for (const row of rows) this.soon(row.id);
  }

  /** Decides the task's next move now (the feed and the sweep call this; tests may too). */
  async step(taskId: number): Promise<void> {
    const [task] = await this.db.select().from(taskTable).where(eq(taskTable.id, taskId));
    if (!task) return;
    // A finished subtask may be what its parent waits for.
    if (task.status === 'done' && task.parent_id !== null) this.soon(task.parent_id);
    if (!task.autopilot || task.status === 'cancelled') {
      await this.standDown(taskId);
      return;
    }
    // Outside the transaction: on the embedded database (one connection) the queue cannot be
    // made, nor the project's pipeline read by its service, while a transaction is open.
    const queue = await this.scheduler.queueFor(taskId);
    const pipeline = await this.pipelines.get(task.project_id);
    // A subtask is split already: its pipeline has no pm.
    const nodes = task.parent_id === null ? pipeline.nodes : pipeline.nodes.filter((node) => node !== 'pm');
    const own = { nodes: nodes.length ? nodes : ['dev'], max_attempts: pipeline.max_attempts };
    await this.db
      .insert(taskPipelineTable)
      .values({ task_id: taskId, ...own })
      .onConflictDoNothing({ target: taskPipelineTable.task_id });
    const moves: Moves = { runs: [], created: [], comments: [], taskChanged: false, messages: [] };
    await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      // The task row first, then its pipeline's, in the order every writer takes them (a delete,
      // an override): no deadlock. Held elsewhere: another director decides, or a change is
      // being made whose own notice brings the director back.
      const [current] = await db.select().from(taskTable).where(eq(taskTable.id, taskId)).for('update', { skipLocked: true });
      if (!current?.autopilot || current.status === 'cancelled') return;
      const [state] = await db.select().from(taskPipelineTable).where(eq(taskPipelineTable.task_id, taskId)).for('update');
      if (!state) return;
      await new Decision(db, current, state, moves, { scheduler: this.scheduler, queue, pipeline: own }).make();
    });
    this.announce(taskId, task.project_id, moves);
  }

  /**
   * Autopilot turned off, or the task cancelled: once no run of the pipeline is going on, it
   * stops where it is (a run that ended meanwhile is taken into account when it resumes).
   */
  private async standDown(taskId: number): Promise<void> {
    const moves: Moves = { runs: [], created: [], comments: [], taskChanged: false, messages: [] };
    let projectId = 0;
    await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      const [task] = await db.select().from(taskTable).where(eq(taskTable.id, taskId)).for('update', { skipLocked: true });
      if (!task || (task.autopilot && task.status !== 'cancelled')) return;
      const [state] = await db.select().from(taskPipelineTable).where(eq(taskPipelineTable.task_id, taskId)).for('update');
      if (!state || !['waiting', 'running'].includes(state.state)) return;
      const run = state.run_id ? await runOf(db, state.run_id) : undefined;
      if (run && ['queued', 'running'].includes(run.status)) return;
      projectId = task.project_id;
      const reason = task.status === 'cancelled' ? 'The task was cancelled.' : 'Autopilot was turned off.';
      await db.update(taskPipelineTable).set({ state: 'stopped', reason, updated_at: new Date() }).where(eq(taskPipelineTable.task_id, taskId));
      moves.taskChanged = true;
      moves.messages.push(`task ${taskId}: ${reason.toLowerCase().replace(/\.$/, '')}, pipeline stopped at ${state.nodes[state.stage] ?? 'its end'}`);
    });
    if (projectId) this.announce(taskId, projectId, moves);
  }

  private announce(taskId: number, projectId: number, moves: Moves): void {
    for (const id of moves.created) this.feed.publish({ kind: 'task', op: 'created', id, project_id: projectId });
    for (const run of moves.runs) this.runs.announce(run, projectId);
    for (const id of moves.comments) this.feed.publish({ kind: 'comment', op: 'created', id, task_id: taskId });
    if (moves.taskChanged) this.feed.publish({ kind: 'task', op: 'updated', id: taskId, project_id: projectId });
    for (const message of moves.messages) this.options.onMove?.(taskId, message);
  }

  /**
   * Marks the task done whatever its gates say, recording who decided and why. Refused while one
   * of its runs is going on: cancel it first.
   */
  async override(taskId: number, input: { by: string; reason: string }): Promise<void> {
    const moves: Moves = { runs: [], created: [], comments: [], taskChanged: true, messages: [] };
    const projectId = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      const [task] = await db.select().from(taskTable).where(eq(taskTable.id, taskId)).for('update');
      if (!task) throw new NotFoundError('task', taskId);
      const [active] = await db.select({ id: runTable.id }).from(runTable).where(and(eq(runTable.task_id, taskId), inArray(runTable.status, ['queued', 'running'])));
      if (active) {
        throw new ConflictError('run_active', `Run ${active.id} of task ${taskId} is going on: cancel it (POST /runs/${active.id}/cancel) before marking the task done.`, { run_id: active.id });
      }
      const [existing] = await db.select().from(taskPipelineTable).where(eq(taskPipelineTable.task_id, taskId)).for('update');
      if (task.status === 'done') {
        throw new ConflictError('already_done', `Task ${taskId} is done already${existing?.state === 'passed' ? ': every gate passed' : ''}; there is nothing to override.`);
      }
      if (!existing && !task.autopilot) {
        throw new ConflictError('not_in_pipeline', `Task ${taskId} is not in a pipeline, so no gate stands in its way: mark it done with PATCH /tasks/${taskId} {"status": "done"}.`);
      }
      const now = new Date();
      const values = { state: 'overridden', override_by: input.by, override_reason: input.reason, overridden_at: now, reason: null, updated_at: now };
      if (existing) await db.update(taskPipelineTable).set(values).where(eq(taskPipelineTable.task_id, taskId));
      else {
        const pipeline = await this.pipelines.get(task.project_id, db);
        await db.insert(taskPipelineTable).values({ task_id: taskId, nodes: pipeline.nodes, max_attempts: pipeline.max_attempts, stage: pipeline.nodes.length, ...values });
      }
      await db.update(taskTable).set({ status: 'done', updated_at: now }).where(eq(taskTable.id, taskId));
      const [comment] = await db
        .insert(commentTable)
        .values({ task_id: taskId, author: runCommentAuthor, body: `Marked done by ${input.by}, overriding the gates: ${input.reason}` })
        .returning({ id: commentTable.id });
      moves.comments.push(comment!.id);
      return task.project_id;
    });
    this.announce(taskId, projectId, moves);
  }
}

async function runOf(db: Database, id: number): Promise<RunRow | undefined> {
  const [row] = await db.select().from(runTable).where(eq(runTable.id, id));
  return row;
}

/** Roles whose failing gate is theirs to fix (the others send the task back to dev). */
const fixesItself = new Set(['documentation', 'pm']);

/** One decision for one task, inside the director's transaction. */
class Decision {
  constructor(
    private readonly db: Database,
    private readonly task: TaskRow,
    private readonly state: TaskPipelineRow,
    private readonly moves: Moves,
    private readonly context: { scheduler: RunScheduler; queue: string; pipeline: { nodes: string[]; max_attempts: number } },
  ) {}

  async make(): Promise<void> {
    const { state, task } = this;
    switch (state.state) {
      case 'waiting':
        return this.startStage(state.stage, state.attempt);
      case 'running':
        return this.afterRun();
      case 'stopped': {
        // A stage's run that ended while autopilot was off counts: it is not run again.
        const run = state.run_id ? await runOf(this.db, state.run_id) : undefined;
        if (run && run.status !== 'cancelled') return this.afterRun();
        return this.startStage(state.stage, state.attempt, { resumed: true });
      }
      case 'blocked':
        // A person moved the card out of "blocked": the stage gets a fresh set of attempts.
        if (task.status !== 'blocked') return this.startStage(state.stage, 1, { resumed: true });
        return;
      case 'passed':
      case 'overridden':
        // Reopened: through the pipeline again, as the project has it now. A run started by hand
        // since (cancelled or interrupted, it too puts the task back to todo) is no reopening.
        if (task.status === 'todo' && !(await this.ranByHandSince(state.updated_at))) return this.restart();
    }
  }

  private async ranByHandSince(since: Date): Promise<boolean> {
    const [later] = await this.db.select({ id: runTable.id }).from(runTable).where(and(eq(runTable.task_id, this.task.id), gt(runTable.created_at, since))).limit(1);
    return later !== undefined;
  }

  private async restart(): Promise<void> {
    const { nodes, max_attempts } = this.context.pipeline;
    // The database's clock, as the runs of this round will have it: what "since the round
    // started" means to the gates and to the subtasks the pm makes.
    await this.save({ nodes, max_attempts, stage: 0, attempt: 1, state: 'waiting', run_id: null, failure: null, reason: null, override_by: null, override_reason: null, overridden_at: null, created_at: sql`now()` as unknown as Date });
    this.state.nodes = nodes;
    this.state.max_attempts = max_attempts;
    return this.startStage(0, 1);
  }

  /** Blockers first, then a run of someone else's, then the stage's run (or done, past the last stage). */
  private async startStage(stage: number, attempt: number, options: { resumed?: boolean; message?: string } = {}): Promise<void> {
    const { db, task, state } = this;
    const waitingFor = await this.unfinishedBlockers();
    if (waitingFor.length) {
      const reason = `Waiting for ${waitingFor.length === 1 ? 'task' : 'tasks'} ${waitingFor.map((id) => `#${id}`).join(', ')} to be done.`;
      if (state.state !== 'waiting' || state.reason !== reason || state.stage !== stage) {
        await this.save({ state: 'waiting', stage, attempt, run_id: null, reason });
      }
      return;
    }
    if (stage >= state.nodes.length) return this.pass();
    const [active] = await db.select({ id: runTable.id }).from(runTable).where(and(eq(runTable.task_id, task.id), inArray(runTable.status, ['queued', 'running'])));
    if (active) {
      // Started by hand: the stage begins once it has ended (its end wakes the director).
      const reason = `Waiting for run ${active.id} to end.`;
      if (state.reason !== reason) await this.save({ state: 'waiting', stage, attempt, run_id: null, reason });
      return;
    }
    const node = state.nodes[stage]!;
    if (node === 'dev' && !state.failure) {
      // Split into subtasks by this round's pm: they do the developing; the task's own dev stage
      // waits for them and is left out, unless a later gate sends the task back to it (its
      // failure is then kept).
      const subtasks = await this.db
        .select({ id: taskTable.id, status: taskTable.status })
        .from(taskTable)
        .where(and(eq(taskTable.parent_id, task.id), eq(taskTable.autopilot, true), gte(taskTable.created_at, state.created_at)))
        .orderBy(taskTable.id);
      if (subtasks.length) {
        const open = subtasks.filter((subtask) => !finishedTaskStatuses.includes(subtask.status)).map((subtask) => subtask.id);
        if (open.length === 0) return this.startStage(stage + 1, attempt);
        const reason = `Waiting for its subtasks ${open.map((id) => `#${id}`).join(', ')} to be done.`;
        if (state.state !== 'waiting' || state.reason !== reason || state.stage !== stage) await this.save({ state: 'waiting', stage, attempt, run_id: null, reason });
        return;
      }
    }
    const failure = state.failure as PipelineFailure | null;
    const fixing = failure && (node === 'dev' || (fixesItself.has(node) && node === failure.node));
    const message = options.message ?? (fixing ? fixMessage(failure, attempt, state.max_attempts) : undefined);
    let run: Run;
    try {
      run = await this.context.scheduler.triggerWithin(db, task.id, { node, ...(message && { message }) }, this.context.queue);
    } catch (error) {
      if (error instanceof ConflictError && error.code === 'run_active') {
        // Triggered by hand a moment ago: the stage begins once that run has ended.
        await this.save({ state: 'waiting', stage, attempt, run_id: null, reason: `Waiting for run ${String(error.details?.run_id ?? '')} to end.` });
        return;
      }
      // The role was deleted since the task set off, say: the pipeline cannot go on.
      if (error instanceof AppError) return this.block(`The ${node} stage could not start: ${error.message}`);
      throw error;
    }
    await this.save({ state: 'running', stage, attempt, run_id: run.id, reason: null });
    this.moves.runs.push(run);
    this.moves.messages.push(`task ${task.id}: ${options.resumed ? 'resumed, ' : ''}${node} (stage ${stage + 1} of ${state.nodes.length}${attempt > 1 ? `, attempt ${attempt} of ${state.max_attempts}` : ''}) as run ${run.id}`);
  }

  private async afterRun(): Promise<void> {
    const { db, state } = this;
    const run = state.run_id ? await runOf(db, state.run_id) : undefined;
    if (!run) return this.startStage(state.stage, state.attempt);
    if (run.status === 'queued' || run.status === 'running') return;
    const node = state.nodes[state.stage] ?? 'the stage';
    switch (run.status) {
      case 'succeeded':
        if (run.verdict === 'fail') return this.gateFailed(run, node);
        if (run.verdict === 'pass') await this.save({ failure: null });
        // qa passing means every criterion holds: the checked ones and those its model judged.
        if (run.verdict === 'pass' && node === 'qa') {
          await db.update(criterionTable).set({ done: true, updated_at: new Date() }).where(and(eq(criterionTable.task_id, this.task.id), eq(criterionTable.done, false)));
        }
        if (node === 'pm') await this.split(run);
        return this.startStage(state.stage + 1, state.attempt);
      case 'failed': {
        const message = `Run ${run.id} (${node}) failed: ${run.error_message ?? 'no reason given'}`;
        if (state.attempt >= state.max_attempts) return this.block(`${message}. That was attempt ${state.attempt} of ${state.max_attempts}.`);
        await this.comment(`${message}\n\nTrying ${node} again (attempt ${state.attempt + 1} of ${state.max_attempts}).`);
        return this.startStage(state.stage, state.attempt + 1);
      }
      case 'cancelled': {
        await db.update(taskTable).set({ autopilot: false, updated_at: new Date() }).where(eq(taskTable.id, this.task.id));
        const reason = `Run ${run.id} (${node}) was cancelled, so autopilot is off. Turn it on again to go on from ${node}.`;
        await this.save({ state: 'stopped', reason });
        await this.comment(reason);
        return;
      }
      case 'interrupted': {
        // The runs machinery tries an untouched run again by itself: that retry is the stage's run.
        const [retry] = await db.select({ id: runTable.id }).from(runTable).where(eq(runTable.retry_of, run.id));
        if (retry) {
          await this.save({ run_id: retry.id });
          const again = await runOf(db, retry.id);
          if (again && !['queued', 'running'].includes(again.status)) {
            this.state.run_id = retry.id;
            return this.afterRun();
          }
          return;
        }
        // It may have changed files before it stopped: tried again in what it left, as an attempt,
        // so a run that keeps dying ends blocked rather than round and round.
        const message = `Run ${run.id} (${node}) was interrupted after it had started changing files (see GET /runs/${run.id}/diff).`;
        if (state.attempt >= state.max_attempts) return this.block(`${message} That was attempt ${state.attempt} of ${state.max_attempts}.`);
        await this.comment(`${message}\n\nTrying ${node} again on what it left (attempt ${state.attempt + 1} of ${state.max_attempts}).`);
        return this.startStage(state.stage, state.attempt + 1);
      }
    }
  }

  /** A reviewing role said no: back to whoever fixes it, with what failed, or blocked past the limit. */
  private async gateFailed(run: RunRow, node: string): Promise<void> {
    const { state } = this;
    const gates = (run.gates as unknown as GateResult[]).filter((gate) => !gate.passed && !gate.skipped);
    const failure: PipelineFailure = { node, run_id: run.id, gates, message: failureText(node, run.id, gates) };
    // A role fixes its own failure, unless it changed what it must not (product code): dev then
    // looks at the change, and the gates after dev check it again.
    const overstepped = gates.some((gate) => gate.name === overstepGateName);
    const fixer = fixesItself.has(node) && !overstepped ? state.stage : state.nodes.indexOf('dev');
    await this.save({ failure: failure as unknown as Record<string, unknown> });
    state.failure = failure as unknown as Record<string, unknown>;
    if (fixer < 0) return this.block(`${failure.message}\n\nThe pipeline has no dev role to fix it.`);
    if (state.attempt >= state.max_attempts) {
      return this.block(`${failure.message}\n\nThat was attempt ${state.attempt} of ${state.max_attempts}: the task is blocked until a person looks at it: move it back to todo to try again, or override its gates to mark it done.`);
    }
    const target = state.nodes[fixer]!;
    await this.comment(`${failure.message}\n\nBack to ${target} (attempt ${state.attempt + 1} of ${state.max_attempts}).`);
    return this.startStage(fixer, state.attempt + 1);
  }

  /**
   * The pm's plan, in the decision's transaction: subtasks on autopilot with their criteria, in a
   * project whose runs share its workspace. Where each task works on a branch of its own (a
   * worktree, a clone), subtasks' work would never reach this task's branch: the plan becomes
   * this task's own criteria instead, for its dev stage to meet and its qa stage to check.
   */
  private async split(run: RunRow): Promise<void> {
    const read = readPlan(run.summary ?? '');
    if (!('plan' in read) || read.plan.subtasks.length === 0) return;
    const { db, task } = this;
    const criteriaOf = (subtask: Plan['subtasks'][number], taskId: number, from: number) =>
      (subtask.acceptance_criteria ?? []).map((criterion, index) =>
        typeof criterion === 'string'
          ? { task_id: taskId, text: criterion, position: from + index + 1 }
          : { task_id: taskId, text: criterion.text, check_command: criterion.check ?? null, position: from + index + 1 },
      );
    const [project] = await db.select({ settings: projectTable.settings }).from(projectTable).where(eq(projectTable.id, task.project_id));
    const settings = project?.settings ?? {};
    if (settings.isolation === 'worktree' || typeof settings.git_remote === 'string') {
      const [last] = await db.select({ value: max(criterionTable.position) }).from(criterionTable).where(eq(criterionTable.task_id, task.id));
      let position = Math.floor(last?.value ?? 0);
      for (const subtask of read.plan.subtasks) {
        const rows = [{ task_id: task.id, text: subtask.title, position: ++position }, ...criteriaOf(subtask, task.id, position)];
        position += rows.length - 1;
        await db.insert(criterionTable).values(rows);
      }
      const steps = read.plan.subtasks.map((subtask, index) => `${index + 1}. ${subtask.title}`).join('\n');
      await this.comment(`The pm's plan, as this task's acceptance criteria (its runs work on a branch of their own, so subtasks' work would not reach it):\n${steps}`);
      return;
    }
    const [last] = await db.select({ value: max(taskTable.position) }).from(taskTable).where(eq(taskTable.project_id, task.project_id));
    let position = Math.floor(last?.value ?? 0);
    const made: number[] = [];
    for (const subtask of read.plan.subtasks) {
      const [row] = await db
        .insert(taskTable)
        .values({ project_id: task.project_id, parent_id: task.id, title: subtask.title, description: subtask.description ?? '', priority: task.priority, position: ++position, autopilot: true })
        .returning({ id: taskTable.id });
      const criteria = criteriaOf(subtask, row!.id, 0);
      if (criteria.length) await db.insert(criterionTable).values(criteria);
      made.push(row!.id);
    }
    this.moves.created.push(...made);
    await this.comment(`The pm split the task into ${made.length} subtask${made.length === 1 ? '' : 's'} (${made.map((id) => `#${id}`).join(', ')}), on autopilot; the task goes on once they are done.`);
  }

  private async pass(): Promise<void> {
    const { state } = this;
    await this.save({ state: 'passed', stage: state.nodes.length, run_id: null, reason: null, failure: null });
    await this.setTaskStatus('done');
    await this.comment(`Every stage passed (${state.nodes.join(' → ')}): the task is done.`);
    this.moves.messages.push(`task ${this.task.id}: done, every gate passed`);
  }

  private async block(reason: string): Promise<void> {
    await this.save({ state: 'blocked', run_id: null, reason });
    await this.setTaskStatus('blocked');
    await this.comment(reason);
    this.moves.messages.push(`task ${this.task.id}: blocked: ${reason.split('\n')[0]}`);
  }

  private async unfinishedBlockers(): Promise<number[]> {
    const rows = await this.db
      .select({ id: taskTable.id })
      .from(taskDependencyTable)
      .innerJoin(taskTable, eq(taskTable.id, taskDependencyTable.blocked_by_id))
      .where(and(eq(taskDependencyTable.task_id, this.task.id), notInArray(taskTable.status, [...finishedTaskStatuses])))
      .orderBy(taskTable.id);
    return rows.map((row) => row.id);
  }

  private async save(values: Partial<TaskPipelineRow>): Promise<void> {
    await this.db.update(taskPipelineTable).set({ ...values, updated_at: new Date() }).where(eq(taskPipelineTable.task_id, this.task.id));
    Object.assign(this.state, values);
    this.moves.taskChanged = true;
  }

  private async setTaskStatus(status: TaskStatus): Promise<void> {
    await this.db.update(taskTable).set({ status, updated_at: new Date() }).where(eq(taskTable.id, this.task.id));
    this.task.status = status;
    this.moves.taskChanged = true;
  }

  private async comment(body: string): Promise<void> {
    const [row] = await this.db.insert(commentTable).values({ task_id: this.task.id, author: runCommentAuthor, body }).returning({ id: commentTable.id });
    this.moves.comments.push(row!.id);
  }
}

/** What failed at a gate, for the comment and for the developer's next run. */
function failureText(node: string, runId: number, gates: readonly GateResult[]): string {
  const lines = [`The ${node} gate failed (run ${runId}):`];
  if (gates.length === 0) lines.push('- The review found a problem; its summary says which.');
  for (const gate of gates) lines.push(`- ${describeGate(gate)}`);
  return lines.join('\n');
}

/** The message a dev run after a failed gate gets, besides the task. */
function fixMessage(failure: PipelineFailure, attempt: number, maxAttempts: number): string {
  return `${failure.message}\n\nFix what failed (attempt ${attempt} of ${maxAttempts}), then finish.`;
}
