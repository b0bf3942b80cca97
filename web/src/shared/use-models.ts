import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import type { modelListSchema } from '../../../src/agent/agent.schema.js';
import { api } from './api.js';
import { queryKeys } from './query-keys.js';

export type ModelInfo = z.output<typeof modelListSchema>[number];

/** The models the model server has pulled (an error when it cannot be reached). */
export function useModels() {
  return useQuery({ queryKey: queryKeys.models, queryFn: () => api<ModelInfo[]>('GET', '/api/models'), staleTime: 30_000, retry: false });
}
