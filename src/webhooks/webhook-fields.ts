/** Plain constants of webhooks, for the API's shapes and the web UI alike (no zod here). */

/** The events a webhook may ask for. */
export const webhookEvents = ['run.finished', 'task.status_changed'] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

/** What a delivery may carry: the events, and `ping` (POST /webhooks/{id}/test). */
export const deliveryEvents = [...webhookEvents, 'ping'] as const;
export type DeliveryEvent = (typeof deliveryEvents)[number];

/** pending: to send or to retry; delivered: the receiver answered 2xx; failed: given up. */
export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** Webhooks a project may have. */
export const maxWebhooksPerProject = 20;

/** The receiver's answer kept on a delivery, in bytes. */
export const responseExcerptBytes = 2048;
