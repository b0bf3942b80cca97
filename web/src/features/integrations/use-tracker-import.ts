import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { queryKeys } from '../../shared/query-keys.js';
import { importTasks, type ImportResult, type Mapping } from './integrations-api.js';

export type ImportState =
  | { status: 'running'; done: number; total: number }
  | { status: 'finished'; done: number; total: number; result: ImportResult }
  | { status: 'failed'; done: number; total: number; message: string };

/** One import at a time, with its progress as the server tells it; stopped following when the wizard closes. */
export function useTrackerImport() {
  const client = useQueryClient();
  const [state, setState] = useState<ImportState | undefined>();
  const following = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => following.current?.abort(), []);

  const start = useCallback(
    async (mapping: Mapping, externalIds: string[]) => {
      following.current?.abort();
      const controller = new AbortController();
      following.current = controller;
      let progress = { done: 0, total: externalIds.length };
      setState({ status: 'running', ...progress });
      try {
        const result = await importTasks(
          mapping.id,
          externalIds,
          (next) => {
            progress = next;
            setState({ status: 'running', ...next });
          },
          controller.signal,
        );
        setState({ status: 'finished', done: progress.total, total: progress.total, result });
      } catch (error) {
        if (!controller.signal.aborted) setState({ status: 'failed', ...progress, message: (error as Error).message });
      } finally {
        if (following.current === controller) following.current = undefined;
        // The board hears each task live; this covers a socket that was down meanwhile.
        void client.invalidateQueries({ queryKey: queryKeys.tasks(mapping.project_id) });
        void client.invalidateQueries({ queryKey: queryKeys.externalTasks(mapping.id), exact: true });
        void client.invalidateQueries({ queryKey: queryKeys.mappings(mapping.project_id), exact: true });
      }
    },
    [client],
  );
  const reset = useCallback(() => setState(undefined), []);
  return { state, start, reset };
}
