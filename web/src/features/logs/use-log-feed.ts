import { useEffect, useState } from 'react';
import type { LogEntry, LogSocketMessage } from '../../../../src/logs/log.schema.js';
import { api } from '../../shared/api.js';
import { keepSocketOpen } from '../../shared/socket.js';
import { LogStore } from './log-store.js';

/** How the panel hears of new entries: the socket, or polling while the socket is down. */
export type LogConnection = 'connecting' | 'live' | 'polling';

const pollMs = 2000;

/**
 * Every channel's entries over one /ws/logs socket, whichever tab is shown. While the socket is
 * down the entries are read with GET /logs every 2 s, and the socket is tried again with a
 * growing pause; it resumes after the last entry heard, so nothing is missed or shown twice.
 * The screen is redrawn at most once a frame.
 */
export function useLogFeed(): { store: LogStore; version: number; connection: LogConnection; redraw: () => void } {
  const [store] = useState(() => new LogStore());
  const [version, setVersion] = useState(0);
  const [connection, setConnection] = useState<LogConnection>('connecting');
  const [redraw] = useState(() => () => setVersion((value) => value + 1));
  useEffect(() => {
    let stopped = false;
    let poll: ReturnType<typeof setTimeout> | undefined;
    let frame: number | undefined;
    const changed = () => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        redraw();
      });
    };
    const catchUp = async () => {
      for (;;) {
        const entries = await api<LogEntry[]>('GET', `/logs?after=${store.lastSeq}&limit=1000`);
        // Every entry is added (not only up to the first new one).
        if (entries.filter((entry) => store.add(entry)).length > 0) changed();
        if (entries.length < 1000 || stopped) return;
      }
    };
    const polling = () => {
      clearTimeout(poll);
      poll = setTimeout(() => {
        void catchUp()
          .catch(() => undefined)
          .finally(() => !stopped && !socket.isOpen() && polling());
      }, pollMs);
    };
    const socket = keepSocketOpen(() => `/ws/logs?after=${store.lastSeq}`, {
      message(data) {
        const item = data as unknown as LogSocketMessage;
        if (item.type === 'ready') {
          clearTimeout(poll);
          setConnection('live');
        } else if (store.add(item.entry)) changed();
      },
      down() {
        setConnection('polling');
        void catchUp().catch(() => undefined);
        polling();
      },
    });
    return () => {
      stopped = true;
      clearTimeout(poll);
      if (frame !== undefined) cancelAnimationFrame(frame);
      socket.close();
    };
  }, [store, redraw]);
  return { store, version, connection, redraw };
}
