import { useQuery } from '@tanstack/react-query';
import type { Run } from '../../../../src/runs/run.schema.js';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

/** The task's latest runs, newest first: one query shared by the sections that show them. */
export function useTaskRuns(taskId: number) {
  return useQuery({ queryKey: queryKeys.runs(taskId), queryFn: () => api<Run[]>('GET', `/tasks/${taskId}/runs?limit=50`) });
}
