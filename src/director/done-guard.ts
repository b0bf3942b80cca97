import { eq } from 'drizzle-orm';
import { ConflictError } from '../core/errors.js';
import type { Database } from '../db/database.js';
import type { TaskUpdate } from '../tasks/task.schema.js';
import type { TaskRow } from '../tasks/task.sql.js';
import { taskPipelineTable } from './task-pipeline.sql.js';

/**
 * "Done" on a task in a pipeline means its gates passed: marking it done by hand is refused
 * until they have, and the way to decide otherwise is an override, which records who and why.
 * Tasks never put on autopilot keep the plain workflow.
 */
export async function refuseDoneWithoutGates(db: Database, current: TaskRow, input: TaskUpdate): Promise<void> {
  if (input.status !== 'done' || current.status === 'done') return;
  const [state] = await db
    .select({ state: taskPipelineTable.state, nodes: taskPipelineTable.nodes, stage: taskPipelineTable.stage })
    .from(taskPipelineTable)
    .where(eq(taskPipelineTable.task_id, current.id));
  if (state ? ['passed', 'overridden'].includes(state.state) : !current.autopilot) return;
  const where = state?.nodes[state.stage] ? ` (it is at ${state.nodes[state.stage]})` : '';
  throw new ConflictError(
    'gates_not_passed',
    `Task ${current.id} is in its pipeline and its gates have not all passed${where}: let the pipeline finish, or mark it done with POST /tasks/${current.id}/override {"by": "your name", "reason": "why"}.`,
    { task_id: current.id },
  );
}
