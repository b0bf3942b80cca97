import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Run, RunEvent } from '../../../../src/runs/run.schema.js';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { openSocket } from '../../shared/socket.js';
import { Transcript } from './transcript.js';

type SocketMessage = { type: 'event'; event: RunEvent } | { type: 'end'; run: Run };

/**
 * Follows a run over /ws/runs/{id}: its recorded events, then the live ones, then its end. A
 * dropped socket reconnects after the last event seen (no gap, no duplicate); while it is down
 * the events are read over HTTP instead. The screen is redrawn at most once a frame.
 */
export function useRunTranscript(runId: number): { transcript: Transcript; version: number; ended: boolean; live: boolean } {
  const client = useQueryClient();
  const [transcript] = useState(() => new Transcript());
  const [version, setVersion] = useState(0);
  const [ended, setEnded] = useState(false);
  const [live, setLive] = useState(false);
  useEffect(() => {
    let stopped = false;
    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let frame: number | undefined;
    let pause = 500;
    const redraw = () => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        setVersion((value) => value + 1);
      });
    };
    const finish = (run: Run) => {
      stopped = true;
      client.setQueryData(queryKeys.run(runId), run);
      void client.invalidateQueries({ queryKey: queryKeys.runs(run.task_id) });
      setEnded(true);
      redraw();
    };
    // While the socket is down: what was recorded meanwhile, over HTTP.
    const catchUp = async () => {
      const events = await api<RunEvent[]>('GET', `/runs/${runId}/events?after=${transcript.lastSeq}&limit=1000`);
      // Every event is applied (not only up to the first new one).
      if (events.filter((event) => transcript.apply(event)).length > 0) redraw();
      const run = await api<Run>('GET', `/runs/${runId}`);
      if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(run.status) && events.length < 1000) finish(run);
    };
    const open = () => {
      socket = openSocket(`/ws/runs/${runId}?after=${transcript.lastSeq}`);
      socket.onopen = () => {
        pause = 500;
        setLive(true);
      };
      socket.onmessage = (message) => {
        const item = JSON.parse(String(message.data)) as SocketMessage;
        if (item.type === 'event') {
          if (transcript.apply(item.event)) redraw();
        } else finish(item.run);
      };
      socket.onclose = () => {
        setLive(false);
        if (stopped) return;
        void catchUp().catch(() => undefined);
        retry = setTimeout(() => !stopped && open(), pause);
        pause = Math.min(pause * 2, 10_000);
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      if (frame !== undefined) cancelAnimationFrame(frame);
      socket?.close();
    };
  }, [client, runId, transcript]);
  return { transcript, version, ended, live };
}
