import { describe, expect, it } from 'vitest';
import type { Task } from '../../src/tasks/task.schema.js';
import { nest, positionBetween } from '../../web/src/features/tasks/task-order.js';

const task = (id: number, position: number, parent_id: number | null = null) => ({ id, position, parent_id }) as Task;

describe('board order', () => {
  it('puts a dropped card between its neighbours, after the last or before the first', () => {
    expect(positionBetween(task(1, 1), task(2, 2))).toBe(1.5);
    expect(positionBetween(task(1, 4), undefined)).toBe(5);
    expect(positionBetween(undefined, task(2, 0))).toBe(-1);
    expect(positionBetween(undefined, undefined)).toBe(0);
  });

  it('nests subtasks under their parent, and shows one whose parent is filtered out at the top', () => {
    const nested = nest([task(1, 0), task(2, 1, 1), task(3, 2, 99), task(4, 3)]);
    expect(nested.map(({ task: top, subtasks }) => [top.id, subtasks.map((sub) => sub.id)])).toEqual([
      [1, [2]],
      [3, []],
      [4, []],
    ]);
  });
});
