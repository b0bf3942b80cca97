import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { memo, useState } from 'react';
import type { WebhookDelivery } from '../../../../src/webhooks/webhook.schema.js';
import { api } from '../../shared/api.js';
import { formatDuration, formatTime } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';

const page = 10;

/** A webhook's deliveries, newest first: what was sent, how the receiver answered, Redeliver. */
export function WebhookDeliveries({ webhookId, onChange }: { webhookId: number; onChange: () => void }) {
  const client = useQueryClient();
  const [limit, setLimit] = useState(page);
  const deliveries = useQuery({
    queryKey: [...queryKeys.webhookDeliveries(webhookId), limit],
    // One more than shown says whether there are more.
    queryFn: () => api<WebhookDelivery[]>('GET', `/webhooks/${webhookId}/deliveries?limit=${limit + 1}`),
    // Pending deliveries are being tried: their outcome shows without a reload.
    refetchInterval: (query) => (query.state.data?.some((delivery) => delivery.status === 'pending') ? 2000 : false),
  });
  const redeliver = useMutation({
    mutationFn: (deliveryId: number) => api<WebhookDelivery>('POST', `/webhooks/deliveries/${deliveryId}/redeliver`),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: queryKeys.webhookDeliveries(webhookId) });
      onChange();
    },
  });
  const all = deliveries.data ?? [];
  const shown = all.slice(0, limit);

  return (
    <div className="deliveries" role="region" aria-label="Deliveries">
      {deliveries.data && all.length === 0 && <p className="muted">Nothing sent yet: Send test sends a ping.</p>}
      <ul className="delivery-list" aria-label="Delivery log">
        {shown.map((delivery) => (
          <DeliveryLine key={delivery.id} delivery={delivery} redelivering={redeliver.isPending && redeliver.variables === delivery.id} onRedeliver={() => redeliver.mutate(delivery.id)} />
        ))}
      </ul>
      {all.length > limit && (
        <div className="actions">
          <button type="button" onClick={() => setLimit((current) => current + page)}>
            Older deliveries
          </button>
        </div>
      )}
      {deliveries.error && <p role="alert">{deliveries.error.message}</p>}
      {redeliver.error && <p role="alert">{redeliver.error.message}</p>}
    </div>
  );
}

const DeliveryLine = memo(function DeliveryLine({ delivery, redelivering, onRedeliver }: { delivery: WebhookDelivery; redelivering: boolean; onRedeliver: () => void }) {
  const at = delivery.last_attempt_at ?? delivery.created_at;
  return (
    <li className={`delivery delivery-${delivery.status}`} aria-label={`Delivery ${delivery.id}: ${delivery.event}, ${delivery.status}`}>
      <details>
        <summary>
          <span className={`badge delivery-badge-${delivery.status}`}>{delivery.status}</span>
          <span className="delivery-event">{delivery.event}</span>
          <span className="delivery-evidence">
            <span aria-label="Status code">{delivery.last_status_code ?? '—'}</span> · {delivery.attempts} {delivery.attempts === 1 ? 'attempt' : 'attempts'} ·{' '}
            <time dateTime={new Date(at).toISOString()} title={new Date(at).toISOString()}>
              {formatTime(at)}
            </time>
          </span>
        </summary>
        <div className="delivery-detail">
          <p className="muted">
            #{delivery.id}
            {delivery.redelivery_of !== null && ` · again of #${delivery.redelivery_of}`}
            {delivery.duration_ms !== null && ` · ${delivery.duration_ms < 1000 ? `${delivery.duration_ms} ms` : formatDuration(delivery.duration_ms)}`}
            {delivery.status === 'pending' && delivery.next_attempt_at && ` · next attempt ${formatTime(delivery.next_attempt_at)}`}
          </p>
          {delivery.last_error && <p className="delivery-error">{delivery.last_error}</p>}
          <h4>Request</h4>
          <pre className="delivery-body" aria-label="Request body">
            {JSON.stringify(delivery.payload, null, 2)}
          </pre>
          <h4>Response</h4>
          {delivery.response_excerpt ? (
            <pre className="delivery-body" aria-label="Response excerpt">
              {delivery.response_excerpt}
            </pre>
          ) : (
            <p className="muted">{delivery.attempts === 0 ? 'Not sent yet.' : 'No answer body.'}</p>
          )}
          <div className="actions">
            <button type="button" disabled={redelivering} onClick={onRedeliver}>
              Redeliver
            </button>
          </div>
        </div>
      </details>
    </li>
  );
});
