import { useQuery } from '@tanstack/react-query';
import type { Node } from '../../../src/nodes/node.schema.js';
import { api } from './api.js';
import { queryKeys } from './query-keys.js';

/** The roles a task can have (pm, dev, qa, ...), rarely changed. */
export function useNodes() {
  return useQuery({ queryKey: queryKeys.nodes, queryFn: () => api<Node[]>('GET', '/nodes?limit=500'), staleTime: 60_000 });
}
