import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import type { executorStatusSchema } from '../../../src/executors/executor.schema.js';
import { api } from './api.js';
import { queryKeys } from './query-keys.js';

export type ExecutorInfo = z.output<typeof executorStatusSchema>;

/** Who a run can be handed to on the server's machine: wfhub's agent and the coding agents installed. */
export function useExecutors() {
  return useQuery({
    queryKey: queryKeys.executors,
    queryFn: async () => (await api<{ executors: ExecutorInfo[] }>('GET', '/executors')).executors,
    staleTime: 60_000,
    retry: false,
  });
}

/** An executor as a choice in a list: its tool's name, its version, or that it is not installed. */
export function executorLabel(executor: ExecutorInfo): string {
  if (executor.name === 'builtin') return "wfhub's agent";
  return executor.installed ? `${executor.title} (${executor.version})` : `${executor.title} (not installed)`;
}
