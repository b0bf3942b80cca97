import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { queryKeys } from './query-keys.js';

type Change =
  | { type: 'ready' | 'resync' }
  | { type: 'project.created' | 'project.updated' | 'project.deleted' }
  | { type: 'task.created' | 'task.updated'; task: { project_id: number } }
  | { type: 'task.deleted'; project_id: number }
  | { type: string };

/**
 * Follows /ws/events and refreshes what a change touched, so every open window shows what
 * others (and the agents) do. Reconnects with a growing pause; `live` is false meanwhile, and the
 * views then poll instead.
 */
export function useLiveChanges(): { live: boolean } {
  const client = useQueryClient();
  const [live, setLive] = useState(false);
  useEffect(() => {
    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let pause = 500;
    let stopped = false;
    const open = () => {
      socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/events`);
      socket.onmessage = (event) => {
        const change = JSON.parse(String(event.data)) as Change;
        if (change.type === 'ready') {
          pause = 500;
          setLive(true);
          // Whatever changed while the socket was down is read again.
          void client.invalidateQueries();
        } else if (change.type === 'resync') void client.invalidateQueries();
        else if (change.type.startsWith('project.')) void client.invalidateQueries({ queryKey: queryKeys.projects, exact: true });
        else if ('task' in change) void client.invalidateQueries({ queryKey: queryKeys.tasks(change.task.project_id) });
        else if ('project_id' in change) void client.invalidateQueries({ queryKey: queryKeys.tasks(change.project_id) });
      };
      socket.onclose = () => {
        setLive(false);
        if (stopped) return;
        retry = setTimeout(open, pause);
        pause = Math.min(pause * 2, 15_000);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      socket?.close();
    };
  }, [client]);
  return { live };
}
