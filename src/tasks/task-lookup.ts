import { eq, sql } from 'drizzle-orm';
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
