import { and, eq, inArray, notInArray } from 'drizzle-orm';
import { NotFoundError } from '../core/errors.js';
import type { Database } from '../db/database.js';
import { taskDependencyTable } from '../tasks/task-dependency.sql.js';
import { finishedTaskStatuses } from '../tasks/task-fields.js';
import { taskTable } from '../tasks/task.sql.js';
import type { Task } from '../tasks/task.schema.js';
import type { PipelineState, TaskPipeline, TaskView } from './task-pipeline.schema.js';
import { taskPipelineTable, type TaskPipelineRow } from './task-pipeline.sql.js';

function present(row: TaskPipelineRow, waitingFor: number[]): TaskPipeline {
  return {
    task_id: row.task_id,
    nodes: row.nodes,
    stage: row.stage,
    node: row.nodes[row.stage] ?? null,
    attempt: row.attempt,
    max_attempts: row.max_attempts,
    state: row.state as PipelineState,
    run_id: row.run_id,
    waiting_for: waitingFor,
    failure: (row.failure as TaskPipeline['failure']) ?? null,
    reason: row.reason,
    override: row.override_by && row.overridden_at ? { by: row.override_by, reason: row.override_reason ?? '', at: row.overridden_at } : null,
    started_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Where tasks are in their pipelines, as the API and the board show it. */
export class TaskPipelineService {
  constructor(private readonly db: Database) {}

  /** The task's pipeline; null when the director has not taken it (never on autopilot). */
  async get(taskId: number): Promise<TaskPipeline | null> {
    const [task] = await this.db.select({ id: taskTable.id }).from(taskTable).where(eq(taskTable.id, taskId));
    if (!task) throw new NotFoundError('task', taskId);
    return (await this.forTasks([taskId])).get(taskId) ?? null;
  }

  /** Tasks with their pipelines, for the API. */
  async views(tasks: readonly Task[]): Promise<TaskView[]> {
    const pipelines = await this.forTasks(tasks.map((task) => task.id));
    return tasks.map((task) => ({ ...task, pipeline: pipelines.get(task.id) ?? null }));
  }

  async view(task: Task): Promise<TaskView> {
    const [view] = await this.views([task]);
    return view!;
  }

  /** The pipelines of these tasks, by task id (those without one are left out). */
  async forTasks(taskIds: readonly number[]): Promise<Map<number, TaskPipeline>> {
    const found = new Map<number, TaskPipeline>();
    if (taskIds.length === 0) return found;
    const rows = await this.db.select().from(taskPipelineTable).where(inArray(taskPipelineTable.task_id, [...taskIds]));
    if (rows.length === 0) return found;
    const blockers = await this.db
      .select({ task_id: taskDependencyTable.task_id, id: taskDependencyTable.blocked_by_id })
      .from(taskDependencyTable)
      .innerJoin(taskTable, eq(taskTable.id, taskDependencyTable.blocked_by_id))
      .where(and(inArray(taskDependencyTable.task_id, rows.map((row) => row.task_id)), notInArray(taskTable.status, [...finishedTaskStatuses])))
      .orderBy(taskDependencyTable.blocked_by_id);
    for (const row of rows) found.set(row.task_id, present(row, blockers.filter((blocker) => blocker.task_id === row.task_id).map((blocker) => blocker.id)));
    return found;
  }
}
