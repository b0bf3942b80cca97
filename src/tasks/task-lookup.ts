import { eq, inArray, sql } from 'drizzle-orm';
import { NotFoundError } from '../core/errors.js';
import { rowsOf, type Database } from '../db/database.js';
import { taskTable, type TaskRow } from './task.sql.js';

/** The task, or NotFoundError: for the modules that hang things off a task. */
export async function requireTask(db: Database, id: number): Promise<TaskRow> {
  const [row] = await db.select().from(taskTable).where(eq(taskTable.id, id));
  if (!row) throw new NotFoundError('task', id);
  return row;
}

/** Ids of a task and all its subtasks, at any depth (`union` ends the walk even on a cycle). */
export async function taskAndDescendantIds(db: Database, id: number): Promise<number[]> {
  const result = await db.execute(sql`
    with recursive tree(id) as (
      select id from tasks where id = ${id}
      union
      select t.id from tasks t join tree on t.parent_id = tree.id
    ) select id from tree`);
  return rowsOf<{ id: number }>(result).map((row) => Number(row.id));
}

/**
 * Locks a task and all its subtasks for deletion (inside a transaction): an upload, comment or
 * subtask that would hang off one of them waits, then finds it gone.
 */
export async function lockTaskTree(db: Database, id: number): Promise<number[]> {
  const ids = await taskAndDescendantIds(db, id);
  if (ids.length === 0) return [];
  const rows = await db.select({ id: taskTable.id }).from(taskTable).where(inArray(taskTable.id, ids)).for('update');
  return rows.map((row) => row.id);
}

/** Locks every task of a project for deletion (inside a transaction). */
export async function lockProjectTasks(db: Database, projectId: number): Promise<number[]> {
  const rows = await db.select({ id: taskTable.id }).from(taskTable).where(eq(taskTable.project_id, projectId)).for('update');
  return rows.map((row) => row.id);
}
