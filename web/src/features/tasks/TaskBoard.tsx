import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type DragEvent, type KeyboardEvent } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { taskStatuses, type TaskStatus } from '../../../../src/tasks/task-fields.js';
import { navigate } from '../../app/route.js';
import { api, ApiError } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useStableCallback } from '../../shared/use-stable-callback.js';
import { positionBetween } from './task-order.js';
import { BoardColumn } from './BoardColumn.js';
import type { CardActions } from './TaskCard.js';

/** What a dragged card carries: its id, under a type no other drag uses. */
const dragType = 'application/x-wfhub-task';

type Move = { id: number; status: TaskStatus; position?: number };

/**
 * A column per status. A card moves by dragging it, by its status menu, or from the keyboard:
 * Alt+↑/↓ within its column, Alt+←/→ to the next column.
 */
export function TaskBoard({ projectId, tasks, openTaskId }: { projectId: number; tasks: Task[]; openTaskId?: number }) {
  const client = useQueryClient();
  const key = queryKeys.tasks(projectId);
  const [dragged, setDragged] = useState<number | undefined>();
  // The card last dropped stays drawn, though it lands past the cards its column shows.
  const [dropped, setDropped] = useState<number | undefined>();
  // The control to focus again once a moved card is drawn in its new place.
  const [refocus, setRefocus] = useState<{ id: number; control: 'title' | 'status'; to: Move } | undefined>();
  const move = useMutation({
    mutationKey: ['move-task', projectId],
    mutationFn: ({ id, status, position }: Move) => api<Task>('PATCH', `/tasks/${id}`, { status, ...(position !== undefined && { position }) }),
    // The card moves at once; the server's answer (or a refusal) settles it.
    onMutate: async ({ id, status, position }) => {
      await client.cancelQueries({ queryKey: key });
      const before = client.getQueryData<Task[]>(key)?.find((task) => task.id === id);
      client.setQueryData<Task[]>(key, (old) =>
        old
          ?.map((task) => (task.id === id ? { ...task, status, position: position ?? task.position } : task))
          .sort((a, b) => a.position - b.position || a.id - b.id),
      );
      return { before };
    },
    // Only the refused card goes back: other moves made meanwhile stay where they were put.
    onError: (_error, { id }, context) => {
      const before = context?.before;
      if (before) client.setQueryData<Task[]>(key, (old) => old?.map((task) => (task.id === id ? { ...task, status: before.status, position: before.position } : task)).sort((a, b) => a.position - b.position || a.id - b.id));
    },
    // Read again once the last of several quick moves has settled, not between them.
    onSettled: () => {
      if (client.isMutating({ mutationKey: ['move-task', projectId] }) <= 1) void client.invalidateQueries({ queryKey: key });
    },
  });

  useEffect(() => {
    if (!refocus) return;
    // Not before the card is drawn where it goes (the move is applied a moment after the key).
    const task = tasks.find((item) => item.id === refocus.id);
    if (task && (task.status !== refocus.to.status || (refocus.to.position !== undefined && task.position !== refocus.to.position))) return;
    const card = document.querySelector<HTMLElement>(`[data-task-id="${refocus.id}"]`);
    card?.querySelector<HTMLElement>(refocus.control === 'title' ? '.title' : 'select')?.focus();
    setRefocus(undefined);
  }, [refocus, tasks]);

  const byStatus = useMemo(() => {
    const columns = new Map<TaskStatus, Task[]>(taskStatuses.map((status) => [status, []]));
    for (const task of tasks) columns.get(task.status)?.push(task);
    return columns;
  }, [tasks]);
  const columnOf = (status: TaskStatus, except?: number) => (byStatus.get(status) ?? []).filter((task) => task.id !== except);

  const drop = useStableCallback((status: TaskStatus, beforeId: number | undefined, event: DragEvent) => {
    event.preventDefault();
    event.stopPropagation();
    const id = dragged ?? Number(event.dataTransfer.getData(dragType));
    setDragged(undefined);
    // Only a card of this board moves: not dragged text, nor a card from another tab's project.
    if (!id || id === beforeId || !tasks.some((task) => task.id === id)) return;
    const column = columnOf(status, id);
    const index = beforeId === undefined ? column.length : column.findIndex((task) => task.id === beforeId);
    setDropped(id);
    move.mutate({ id, status, position: positionBetween(column[index - 1], column[index]) });
  });

  const keyDown = useStableCallback((task: Task, event: KeyboardEvent) => {
    if (!event.altKey || !['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'].includes(event.key)) return;
    event.preventDefault();
    let to: Move;
    if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      const column = columnOf(task.status, task.id);
      const index = (byStatus.get(task.status) ?? []).findIndex((other) => other.id === task.id);
      const target = event.key === 'ArrowUp' ? index - 1 : index + 1;
      if (target < 0 || target > column.length) return;
      to = { id: task.id, status: task.status, position: positionBetween(column[target - 1], column[target]) };
    } else {
      const next = taskStatuses[taskStatuses.indexOf(task.status) + (event.key === 'ArrowLeft' ? -1 : 1)];
      if (!next) return;
      to = { id: task.id, status: next, position: positionBetween(columnOf(next).at(-1), undefined) };
    }
    move.mutate(to);
    setRefocus({ id: task.id, control: 'title', to });
  });

  const pick = useStableCallback((task: Task, next: TaskStatus, how: 'picked' | 'left') => {
    const to = { id: task.id, status: next };
    move.mutate(to);
    // Focus stays on the menu as the card moves, unless the user had moved on.
    if (how === 'picked') setRefocus({ id: task.id, control: 'status', to });
  });
  const open = useStableCallback((id: number) => navigate({ projectId, taskId: id }));
  const dragStart = useStableCallback((task: Task, event: DragEvent) => {
    setDragged(task.id);
    event.dataTransfer.setData(dragType, String(task.id));
  });
  const dragEnd = useStableCallback(() => setDragged(undefined));
  const actions = useMemo<CardActions>(() => ({ open, keyDown, pick, dragStart, dragEnd, drop }), [open, keyDown, pick, dragStart, dragEnd, drop]);

  return (
    <div className="board" role="region" aria-label="Board">
      {move.error instanceof ApiError && <p role="alert">{move.error.message}</p>}
      {taskStatuses.map((status) => (
        <BoardColumn key={status} status={status} tasks={byStatus.get(status) ?? []} openTaskId={openTaskId} keepId={refocus?.id ?? dropped} actions={actions} />
      ))}
    </div>
  );
}
