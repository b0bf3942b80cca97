import type { ChangeFeed } from '../db/change-feed.js';
import { finishedRunStatuses, type Run, type RunEvent } from './run.schema.js';
import type { RunService } from './run.service.js';

export type FollowedItem =
  | { type: 'event'; event: RunEvent }
  /** The run has ended; every event it recorded was given before this. */
  | { type: 'end'; run: Run }
  /** Nothing happened for a while: a moment to tell the client the stream is alive. */
  | { type: 'idle' };

export interface FollowOptions {
  /** Only events after this sequence number (0 for all). */
  after: number;
  signal: AbortSignal;
  /** Read again after this long without a change heard (a change told by no one still shows). */
  pollMs?: number;
  /** How long without events before an `idle` item. */
  idleMs?: number;
}

const page = 500;

/**
 * A run's recorded events, then its live ones, then its end. Every item is read from the
 * database after the last one given, so there is no gap and no duplicate, whichever process
 * records the run; the change feed only says when to read again.
 */
export async function* followRun(runs: RunService, feed: ChangeFeed, runId: number, options: FollowOptions): AsyncGenerator<FollowedItem> {
  const { signal } = options;
  let after = options.after;
  let changed = true;
  let wake: (() => void) | undefined;
  const unsubscribe = feed.subscribe((change) => {
    if ((change.kind === 'run_event' && change.run_id === runId) || (change.kind === 'run' && change.id === runId) || change.kind === 'resync') {
      changed = true;
      wake?.();
    }
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  let quietSince = Date.now();
  try {
    while (!signal.aborted) {
      changed = false;
      // The status first: once it says ended, the events read after it are all there will be.
      const run = await runs.get(runId);
      const events = await runs.eventsAfter(runId, after, page);
      for (const event of events) {
        if (signal.aborted) return;
        yield { type: 'event', event };
        after = event.seq;
        quietSince = Date.now();
      }
      if (events.length === page) continue;
      if (finishedRunStatuses.includes(run.status)) {
        yield { type: 'end', run };
        return;
      }
      if (!changed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs ?? 1000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      if (Date.now() - quietSince >= (options.idleMs ?? 15_000)) {
        quietSince = Date.now();
        yield { type: 'idle' };
      }
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
