import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { Task } from '../../../src/tasks/task.schema.js';
import { useEffect, useState } from 'react';
import { queryKeys } from './query-keys.js';
import { keepSocketOpen } from './socket.js';

type Change =
  | { type: 'ready' | 'resync' }
  | { type: 'project.created' | 'project.updated'; project: { id: number } }
  | { type: 'project.deleted'; id: number }
  | { type: 'task.created' | 'task.updated'; task: Task }
  | { type: 'task.deleted'; id: number; project_id: number }
  | { type: 'comment.created' | 'comment.updated'; comment: { task_id: number } }
  | { type: 'comment.deleted'; task_id: number }
  | { type: 'run.created' | 'run.updated'; run: { id: number; task_id: number } };

/** Board order, as the server lists tasks. */
const boardOrder = (a: Task, b: Task) => a.position - b.position || a.id - b.id;

/**
 * A task as it is now goes straight into what is on screen: the board does not read its
 * thousands of tasks again for one change.
 */
function applyTask(client: QueryClient, task: Task): void {
  client.setQueryData(queryKeys.task(task.id), task);
  client.setQueryData<Task[]>(queryKeys.tasks(task.project_id), (old) => old && [...old.filter((other) => other.id !== task.id), task].sort(boardOrder));
  // How its tracker sync stands may have changed with it (a push publishes the task too),
  // and where it is in its pipeline (the director publishes the task when it moves it).
  void client.invalidateQueries({ queryKey: queryKeys.tracker(task.id), exact: true });
  void client.invalidateQueries({ queryKey: queryKeys.taskPipeline(task.id), exact: true });
}

/** What a change makes stale. */
function staleKeys(change: Change): (readonly unknown[])[] {
  if (change.type === 'task.deleted' && 'project_id' in change) return [queryKeys.tasks(change.project_id), queryKeys.task(change.id)];
  if ('comment' in change) return [queryKeys.comments(change.comment.task_id)];
  if (change.type === 'comment.deleted' && 'task_id' in change) return [queryKeys.comments(change.task_id)];
  // A run's end is what the director acts on: the task's pipeline may move with it.
  if ('run' in change) return [queryKeys.runs(change.run.task_id), queryKeys.run(change.run.id), queryKeys.taskPipeline(change.run.task_id)];
  if ('project' in change) return [queryKeys.projects, queryKeys.project(change.project.id)];
  if (change.type === 'project.deleted' && 'id' in change) return [queryKeys.projects, queryKeys.project(change.id)];
  return [];
}

/**
 * Follows /ws/events and refreshes what a change touched, so every open window shows what
 * others (and the agents) do. Reconnects with a growing pause; `live` is false meanwhile, and the
 * views then poll instead.
 */
export function useLiveChanges(): { live: boolean } {
  const client = useQueryClient();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const socket = keepSocketOpen(() => '/ws/events', {
      message(data) {
        const change = data as unknown as Change;
        if (change.type === 'ready') {
          setLive(true);
          // Whatever changed while the socket was down is read again.
          void client.invalidateQueries();
        } else if (change.type === 'resync') void client.invalidateQueries();
        else if ('task' in change) applyTask(client, change.task);
        else for (const queryKey of staleKeys(change)) void client.invalidateQueries({ queryKey, exact: true });
      },
      down: () => setLive(false),
    });
    return () => socket.close();
  }, [client]);
  return { live };
}
