import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type DragEvent } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { taskStatuses, type TaskStatus } from '../../../../src/tasks/task-fields.js';
import { navigate } from '../../app/route.js';
import { api, ApiError } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { positionBetween } from './task-order.js';

const statusLabel = (status: string) => status.replace('_', ' ');

/** What a dragged card carries: its id, under a type no other drag uses. */
const dragType = 'application/x-wfhub-task';

/** A column per status; drag a card to another column or place, or use its status menu. */
export function TaskBoard({ projectId, tasks, openTaskId }: { projectId: number; tasks: Task[]; openTaskId?: number }) {
  const client = useQueryClient();
  const [dragged, setDragged] = useState<number | undefined>();
  const move = useMutation({
    mutationFn: ({ id, status, position }: { id: number; status: TaskStatus; position?: number }) =>
      api<Task>('PATCH', `/tasks/${id}`, { status, ...(position !== undefined && { position }) }),
    // The card moves at once; the server's answer (or a refusal) settles it.
    onMutate: async ({ id, status, position }) => {
      const key = queryKeys.tasks(projectId);
      await client.cancelQueries({ queryKey: key });
      const before = client.getQueryData<Task[]>(key);
      client.setQueryData<Task[]>(key, (old) =>
        old
          ?.map((task) => (task.id === id ? { ...task, status, position: position ?? task.position } : task))
          .sort((a, b) => a.position - b.position || a.id - b.id),
      );
      return { before };
    },
    onError: (_error, _variables, context) => client.setQueryData(queryKeys.tasks(projectId), context?.before),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.tasks(projectId) }),
  });

  const drop = (status: TaskStatus, beforeId: number | undefined) => (event: DragEvent) => {
    event.preventDefault();
    event.stopPropagation();
    const id = dragged ?? Number(event.dataTransfer.getData(dragType));
    setDragged(undefined);
    // Only a card of this board moves: not dragged text, nor a card from another tab's project.
    if (!id || id === beforeId || !tasks.some((task) => task.id === id)) return;
    const column = tasks.filter((task) => task.status === status && task.id !== id);
    const index = beforeId === undefined ? column.length : column.findIndex((task) => task.id === beforeId);
    move.mutate({ id, status, position: positionBetween(column[index - 1], column[index]) });
  };

  return (
    <div className="board" role="region" aria-label="Board">
      {move.error instanceof ApiError && <p role="alert">{move.error.message}</p>}
      {taskStatuses.map((status) => {
        const column = tasks.filter((task) => task.status === status);
        return (
          <section key={status} className="column" aria-label={`${statusLabel(status)} (${column.length})`} onDragOver={(event) => event.preventDefault()} onDrop={drop(status, undefined)}>
            <h3>
              {statusLabel(status)} <span className="count">{column.length}</span>
            </h3>
            <ul>
              {column.map((task) => (
                <li
                  key={task.id}
                  className="card"
                  draggable
                  data-task-id={task.id}
                  onDragStart={(event) => {
                    setDragged(task.id);
                    event.dataTransfer.setData(dragType, String(task.id));
                  }}
                  onDragEnd={() => setDragged(undefined)}
                  onDragOver={(event) => event.preventDefault()}
                  onDrop={drop(status, task.id)}
                >
                  <button type="button" className="title" onClick={() => navigate({ projectId, taskId: task.id })} aria-current={task.id === openTaskId ? 'true' : undefined}>
                    {task.parent_id !== null && <span className="parent">#{task.parent_id} › </span>}
                    {task.title}
                  </button>
                  <label className="status-menu">
                    <span className="visually-hidden">Status of {task.title}</span>
                    <select value={task.status} onChange={(event) => move.mutate({ id: task.id, status: event.target.value as TaskStatus })}>
                      {taskStatuses.map((option) => (
                        <option key={option} value={option}>
                          {statusLabel(option)}
                        </option>
                      ))}
                    </select>
                  </label>
                  {task.node_name && <span className="node">{task.node_name}</span>}
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
