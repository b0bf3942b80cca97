import { useQuery } from '@tanstack/react-query';
import type { FullHealth } from '../../../../src/health/health.schema.js';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

/** Whether the model server answers, and which models it has: why runs fail, and what to do. */
export function ModelServerStatus() {
  const health = useQuery({ queryKey: queryKeys.health, queryFn: () => api<FullHealth>('GET', '/health/full'), refetchInterval: 15_000 });
  if (!health.data) return null;
  const check = health.data.checks.model_server;
  const models = Array.isArray(check.details?.models) ? (check.details.models as string[]) : [];
  return (
    <div role="status" aria-label="Model server" className={`model-server model-server-${check.status}`}>
      <strong>{check.status === 'ok' ? 'Model server ready' : 'Model server not ready'}</strong>
      <span>{check.message}</span>
      {models.length > 0 && <span className="models">Models: {models.join(', ')}</span>}
    </div>
  );
}
