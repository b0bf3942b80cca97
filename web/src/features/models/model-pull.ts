import type { QueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { ApiError, apiLines } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

/** What POST /api/models/pull streams, a line at a time. */
type PullLine =
  | { type: 'pull.progress'; status: string; digest?: string; total?: number; completed?: number }
  | { type: 'pull.finished'; model: string }
  | { type: 'pull.failed'; error: { code: string; message: string } };

export type PullState =
  | { phase: 'idle' }
  | {
      phase: 'pulling';
      model: string;
      /** Ollama's words: "pulling manifest", "pulling 2bada8a74506", "verifying sha256 digest". */
      status: string;
      /** The bytes of the layer downloading now, when Ollama tells them. */
      completed?: number;
      total?: number;
      /** How many layers have been seen so far. */
      layers: number;
    }
  | { phase: 'finished'; model: string }
  | { phase: 'failed'; model: string; message: string }
  | { phase: 'cancelled'; model: string };

/**
 * The one pull under way in this page, kept outside the dialog: closing the Models dialog does not
 * stop it, and opening it again shows where it is. Cancel aborts the request, which stops the pull
 * on the server.
 */
let state: PullState = { phase: 'idle' };
let controller: AbortController | undefined;
const listeners = new Set<() => void>();

function set(next: PullState): void {
  state = next;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function usePull(): PullState {
  return useSyncExternalStore(subscribe, () => state);
}

/** Pulls a model, its progress told to usePull; resolves with how it ended. */
export async function startPull(model: string, client: QueryClient): Promise<PullState> {
  if (state.phase === 'pulling') return state;
  const own = new AbortController();
  controller = own;
  const digests = new Set<string>();
  let outcome: PullState | undefined;
  set({ phase: 'pulling', model, status: 'Asking the model server…', layers: 0 });
  try {
    await apiLines(
      '/api/models/pull',
      { model },
      (raw) => {
        const line = raw as PullLine;
        if (line.type === 'pull.progress') {
          if (line.digest) digests.add(line.digest);
          const sized = line.total !== undefined && line.total > 0;
          set({ phase: 'pulling', model, status: line.status, ...(sized && { total: line.total, completed: Math.min(line.completed ?? 0, line.total!) }), layers: digests.size });
        } else if (line.type === 'pull.finished') outcome = { phase: 'finished', model: line.model };
        else if (line.type === 'pull.failed') outcome = { phase: 'failed', model, message: line.error.message };
      },
      own.signal,
    );
    set(outcome ?? { phase: 'failed', model, message: 'The pull ended without a result: the connection to the server was cut. Pulling again resumes where it stopped.' });
  } catch (error) {
    if (own.signal.aborted) set({ phase: 'cancelled', model });
    else set({ phase: 'failed', model, message: error instanceof ApiError || error instanceof Error ? error.message : String(error) });
  } finally {
    if (controller === own) controller = undefined;
    // What the server has now (a layer or the whole model), and whether the configured model is there.
    void client.invalidateQueries({ queryKey: queryKeys.models });
    void client.invalidateQueries({ queryKey: queryKeys.health });
  }
  return state;
}

export function cancelPull(): void {
  controller?.abort();
}

/** Forgets a finished, failed or cancelled pull's message. */
export function dismissPull(): void {
  if (state.phase !== 'pulling') set({ phase: 'idle' });
}
