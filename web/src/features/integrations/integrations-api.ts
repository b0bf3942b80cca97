import { useQuery } from '@tanstack/react-query';
import type { Credential, ExternalTaskListed, ImportEvent, ImportResult, Mapping, TaskLink, TrackerInfo } from '../../../../src/integrations/integration.schema.js';
import { api, ApiError, apiLines } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

export type { Credential, ExternalTaskListed, ImportEvent, ImportResult, Mapping, TaskLink, TrackerInfo };

/** A project, team or repository on the tracker, as GET /integrations/credentials/{id}/projects lists it. */
export interface ExternalProject {
  id: string;
  name: string;
  url?: string;
}

/** The trackers the server imports from, and what each asks for: they change only with the server. */
export function useTrackers() {
  return useQuery({ queryKey: queryKeys.trackers, queryFn: () => api<TrackerInfo[]>('GET', '/integrations/providers'), staleTime: Infinity });
}

/** The tracker's name for a person ("GitHub Issues"), or its id until the list is in. */
export function trackerName(trackers: TrackerInfo[] | undefined, id: string): string {
  return trackers?.find((tracker) => tracker.id === id)?.name ?? id;
}

/** What the tracker calls several of its projects: "repositories", "teams". */
export const plural = (label: string) => (/[^aeiou]y$/.test(label) ? `${label.slice(0, -1)}ies` : `${label}s`);

/** The task's tracker link; null when the task was not imported. */
export async function fetchTaskLink(taskId: number): Promise<TaskLink | null> {
  return (await api<TaskLink | null>('GET', `/tasks/${taskId}/tracker`)) ?? null;
}

/**
 * Imports the tracker tasks named (all when `externalIds` is absent), following the server's
 * NDJSON progress lines; resolves with the counts, or throws the server's error (an `error`
 * line becomes an ApiError too).
 */
export async function importTasks(
  mappingId: number,
  externalIds: string[] | undefined,
  onProgress: (progress: { done: number; total: number }) => void,
  signal?: AbortSignal,
): Promise<ImportResult> {
  let result: ImportResult | undefined;
  let failure: ApiError | undefined;
  await apiLines(
    '/integrations/import?stream=true',
    { mapping_id: mappingId, ...(externalIds && { external_ids: externalIds }) },
    (raw) => {
      const line = raw as ImportEvent;
      if (line.type === 'import.progress') onProgress({ done: line.done, total: line.total });
      else if (line.type === 'import.finished') result = line.result;
      else if (line.type === 'error') failure = new ApiError(200, line.error.code, line.error.message);
    },
    signal,
  );
  if (failure) throw failure;
  if (!result) throw new ApiError(0, 'import_cut_short', 'The import ended without its result: the connection to the server was cut. What was imported stays; importing again picks up the rest.');
  return result;
}

