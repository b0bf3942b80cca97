/**
 * Task dependencies: the tasks a task waits for (its `blocked_by`). A blocker may be in any
 * project, so that work spanning several repositories (a project each) can be put in order.
 */
import { and, asc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { NotFoundError, UnprocessableError } from '../core/errors.js';
import { rowsOf, type Database } from '../db/database.js';
import { taskDependencyTable } from './task-dependency.sql.js';
import { taskTable } from './task.sql.js';

/** Any fixed number: it names the advisory lock that serialises changes of dependencies. */
const dependencyLockKey = 0x77666864;

/** Each task's blockers, ascending; every id asked for is in the map (one query for all). */
export async function blockersOf(db: Database, taskIds: readonly number[]): Promise<Map<number, number[]>> {
  const blockers = new Map<number, number[]>(taskIds.map((id) => [id, []]));
  if (taskIds.length === 0) return blockers;
  const rows = await db
    .select({ task_id: taskDependencyTable.task_id, blocked_by_id: taskDependencyTable.blocked_by_id })
    .from(taskDependencyTable)
    .where(inArray(taskDependencyTable.task_id, [...taskIds]))
    .orderBy(asc(taskDependencyTable.task_id), asc(taskDependencyTable.blocked_by_id));
  for (const row of rows) blockers.get(row.task_id)?.push(row.blocked_by_id);
  return blockers;
}

/** The tasks outside `taskIds` that wait for one of them (whose `blocked_by` a delete of them changes). */
export async function dependantsOutside(db: Database, taskIds: readonly number[]): Promise<{ id: number; project_id: number }[]> {
  if (taskIds.length === 0) return [];
  return db
    .selectDistinct({ id: taskTable.id, project_id: taskTable.project_id })
    .from(taskDependencyTable)
    .innerJoin(taskTable, eq(taskTable.id, taskDependencyTable.task_id))
    .where(and(inArray(taskDependencyTable.blocked_by_id, [...taskIds]), notInArray(taskDependencyTable.task_id, [...taskIds])))
    .orderBy(asc(taskTable.id));
}

/**
 * Replaces the tasks `taskId` waits for with `blockerIds` (duplicates collapsed; empty clears
 * them). Inside the caller's transaction, so a refusal leaves everything as it was: an unknown
 * task is NotFoundError, the task itself or a chain back to it is `dependency_cycle`.
 */
export async function replaceBlockers(db: Database, taskId: number, blockerIds: readonly number[]): Promise<void> {
  const wanted = [...new Set(blockerIds)].sort((left, right) => left - right);
  if (wanted.includes(taskId)) {
    throw new UnprocessableError('dependency_cycle', 'A task cannot wait for itself. Leave its own id out of blocked_by.', {
      blocked_by: taskId,
    });
  }
  if (wanted.length > 0) {
    // Held until commit: two transactions could otherwise each add one half of a cycle, both
    // checking against a graph that does not yet hold the other's half.
    await db.execute(sql`select pg_advisory_xact_lock(${dependencyLockKey})`);
    await requireTasks(db, wanted);
    await refuseCycle(db, taskId, wanted);
  }
  await db.delete(taskDependencyTable).where(eq(taskDependencyTable.task_id, taskId));
  if (wanted.length > 0) {
    await db.insert(taskDependencyTable).values(wanted.map((blockedById) => ({ task_id: taskId, blocked_by_id: blockedById })));
  }
}

/** Every id names a task; locked so that a concurrent delete waits for this transaction. */
async function requireTasks(db: Database, ids: readonly number[]) {
  const rows = await db.select({ id: taskTable.id }).from(taskTable).where(inArray(taskTable.id, [...ids])).for('key share');
  const found = new Set(rows.map((row) => row.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) {
    throw new NotFoundError('task', missing, 'Check the ids in blocked_by: each must be an existing task, of any project.');
  }
}

async function refuseCycle(db: Database, taskId: number, blockerIds: readonly number[]) {
  const blockers = sql.join(
    blockerIds.map((id) => sql`${id}`),
    sql`, `,
  );
  // `union` (not `union all`) drops rows already seen, so the walk ends even on data that
  // somehow holds a cycle already.
  const found = await db.execute(sql`
    with recursive waits(id) as (
      select blocked_by_id from task_dependencies where task_id in (${blockers})
      union
      select d.blocked_by_id from task_dependencies d join waits w on d.task_id = w.id
    ) select 1 as found from waits where id = ${taskId} limit 1`);
  if (rowsOf(found).length === 0) return;
  const chain = await chainBack(db, taskId, blockerIds);
  const blocker = chain[1]!;
  throw new UnprocessableError(
    'dependency_cycle',
    `Task ${taskId} cannot wait for task ${blocker}: that would close the cycle ${chain.map((id) => `#${id}`).join(' → ')} ` +
      `(each waits for the next). Leave ${blocker} out of blocked_by, or first remove a dependency along that chain.`,
    { blocked_by: blocker, chain },
  );
}

/**
 * The shortest chain `taskId → blocker → … → taskId` through the existing dependencies. Only
 * read once a cycle is known to exist, so the whole reachable graph is fetched on refusals only.
 */
async function chainBack(db: Database, taskId: number, blockerIds: readonly number[]): Promise<number[]> {
  const blockers = sql.join(
    blockerIds.map((id) => sql`${id}`),
    sql`, `,
  );
  const result = await db.execute(sql`
    with recursive edges(task_id, blocked_by_id) as (
      select task_id, blocked_by_id from task_dependencies where task_id in (${blockers})
      union
      select d.task_id, d.blocked_by_id from task_dependencies d join edges e on d.task_id = e.blocked_by_id
    ) select task_id, blocked_by_id from edges`);
  const next = new Map<number, number[]>();
  for (const row of rowsOf<{ task_id: number; blocked_by_id: number }>(result)) {
    const from = Number(row.task_id);
    next.set(from, [...(next.get(from) ?? []), Number(row.blocked_by_id)]);
  }
  // Breadth first from the new blockers, remembering how each task was reached.
  const cameFrom = new Map<number, number>(blockerIds.map((id) => [id, taskId]));
  const queue = [...blockerIds];
  for (let index = 0; index < queue.length; index++) {
    const current = queue[index]!;
    if (current === taskId) break;
    for (const waitsFor of (next.get(current) ?? []).sort((left, right) => left - right)) {
      if (cameFrom.has(waitsFor)) continue;
      cameFrom.set(waitsFor, current);
      queue.push(waitsFor);
    }
  }
  const chain = [taskId];
  for (let current = cameFrom.get(taskId); current !== undefined && current !== taskId; current = cameFrom.get(current)) {
    chain.unshift(current);
  }
  chain.unshift(taskId);
  return chain;
}
