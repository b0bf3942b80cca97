import type { Task } from '../../../../src/tasks/task.schema.js';

/**
 * The position that puts a card between its new neighbours in a column: halfway between them,
 * one past the last, or one before the first. Only the moved card changes.
 */
export function positionBetween(before: Task | undefined, after: Task | undefined): number {
  if (before && after) return (before.position + after.position) / 2;
  if (before) return before.position + 1;
  if (after) return after.position - 1;
  return 0;
}

/** Top-level tasks in board order, each with its subtasks (in board order too). */
export function nest(tasks: readonly Task[]): { task: Task; subtasks: Task[] }[] {
  const byParent = new Map<number, Task[]>();
  for (const task of tasks) if (task.parent_id !== null) byParent.set(task.parent_id, [...(byParent.get(task.parent_id) ?? []), task]);
  const known = new Set(tasks.map((task) => task.id));
  // A subtask whose parent is filtered out is shown at the top level.
  return tasks.filter((task) => task.parent_id === null || !known.has(task.parent_id)).map((task) => ({ task, subtasks: byParent.get(task.id) ?? [] }));
}
