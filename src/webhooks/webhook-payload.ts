import type { DeliveryEvent, WebhookEnvelope } from './webhook.schema.js';

/** What a delivery's body is made of. */
export interface EnvelopeSource {
  id: number;
  event: DeliveryEvent;
  created_at: Date;
  payload: Record<string, unknown>;
}

/**
 * The JSON a receiver gets: the delivery id (the same on every retry), the event, when it
 * happened, the project and the event's data. Made from the stored row alone, so every attempt
 * sends (and signs) the same bytes.
 */
export function envelopeOf(delivery: EnvelopeSource, projectId: number): WebhookEnvelope {
  return { id: delivery.id, event: delivery.event, created_at: delivery.created_at.toISOString(), project_id: projectId, data: delivery.payload };
}

/** The body exactly as it is sent and signed. */
export function bodyOf(delivery: EnvelopeSource, projectId: number): string {
  return JSON.stringify(envelopeOf(delivery, projectId));
}
