import { z } from 'zod';
import { idSchema, label, pagingQuery, text, timestampSchema } from '../core/schema-helpers.js';
import { deliveryEvents, deliveryStatuses, webhookEvents } from './webhook-fields.js';

/** The constants, for those who have the shapes at hand. */
export * from './webhook-fields.js';

/** Why a URL is refused, or undefined for one wfhub sends to: http(s), a host, no credentials. */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as https://example.com/hooks/wfhub';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (!url.hostname) return 'must name a host';
  if (url.username || url.password) return 'must not hold a user name or password: the receiver checks the X-Wfhub-Signature header instead';
  return undefined;
}

const webhookUrl = label(2000)
  .superRefine((value, context) => {
    const problem = webhookUrlProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .describe('Where the events are POSTed: an http:// or https:// URL without credentials in it');

const eventsSchema = z
  .array(z.enum(webhookEvents))
  .min(1, 'must name at least one event: run.finished, task.status_changed')
  .max(webhookEvents.length)
  .refine((events) => new Set(events).size === events.length, 'must name each event once')
  .describe('The events sent: run.finished (a run ended: succeeded, failed, cancelled or interrupted), task.status_changed (a task moved from one status to another)');

const secretInput = text({ min: 16, max: 200 })
  .refine((value) => !/\s/.test(value), 'must have no spaces or line breaks')
  .describe('The secret signatures are made with (16-200 characters); made for you when left out. Answered this once, never again');

const description = text({ max: 500 }).nullable().describe('What the webhook is for');

export const webhookCreateSchema = z
  .strictObject({
    url: webhookUrl,
    events: eventsSchema,
    active: z.boolean().optional().describe('Default true; an inactive webhook records no new events and retries nothing (a test or a redelivery asked for by hand is still tried once)'),
    description: description.optional(),
    secret: secretInput.optional(),
  })
  .meta({ id: 'WebhookCreate' });

export const webhookUpdateSchema = z
  .strictObject({
    url: webhookUrl.optional(),
    events: eventsSchema.optional(),
    active: z.boolean().optional(),
    description: description.optional(),
  })
  .meta({ id: 'WebhookUpdate' });

export const secretRotateSchema = z
  .strictObject({ secret: secretInput.optional() })
  .meta({ id: 'WebhookSecretRotate' });

const lastDeliverySchema = z.object({
  id: idSchema,
  event: z.enum(deliveryEvents),
  status: z.enum(deliveryStatuses),
  last_status_code: z.number().int().nullable(),
  attempts: z.number().int(),
  created_at: timestampSchema,
  last_attempt_at: timestampSchema.nullable(),
});

export const webhookSchema = z
  .object({
    id: idSchema,
    project_id: idSchema,
    url: z.string(),
    events: z.array(z.enum(webhookEvents)),
    active: z.boolean(),
    description: z.string().nullable(),
    secret_hint: z.string().describe('The secret\'s last 4 characters, e.g. "…3fQk": the secret itself is answered only when it is made'),
    last_delivery: lastDeliverySchema.nullable().describe('The newest delivery, if any'),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Webhook' });

export const webhookWithSecretSchema = webhookSchema
  .extend({ secret: z.string().describe('The secret to verify X-Wfhub-Signature with. Shown this once: keep it now') })
  .meta({ id: 'WebhookWithSecret' });

/** The JSON body a receiver gets, exactly as signed. */
export const webhookEnvelopeSchema = z
  .object({
    id: idSchema.describe('The delivery id, also in X-Wfhub-Delivery: the same on every retry of it'),
    event: z.enum(deliveryEvents),
    created_at: z.string().describe('When the event happened (ISO 8601, UTC)'),
    project_id: idSchema,
    data: z.record(z.string(), z.unknown()).describe('run.finished: {run, task}; task.status_changed: {task, old_status, new_status}; ping: {webhook_id, message}'),
  })
  .meta({ id: 'WebhookEnvelope' });

export const deliverySchema = z
  .object({
    id: idSchema,
    webhook_id: idSchema,
    event: z.enum(deliveryEvents),
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    next_attempt_at: timestampSchema.nullable().describe('When a pending delivery is tried next'),
    last_attempt_at: timestampSchema.nullable(),
    last_status_code: z.number().int().nullable().describe("The receiver's last HTTP status; null when it could not be reached"),
    last_error: z.string().nullable(),
    response_excerpt: z.string().nullable().describe("The start of the receiver's last answer (2 KB at most)"),
    duration_ms: z.number().int().nullable(),
    redelivery_of: idSchema.nullable(),
    payload: webhookEnvelopeSchema.describe('The body sent'),
    created_at: timestampSchema,
    delivered_at: timestampSchema.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveryListQuerySchema = z.object({
  status: z.enum(deliveryStatuses).optional().describe('Only the deliveries in this status'),
  ...pagingQuery,
});

export type Webhook = z.output<typeof webhookSchema>;
export type WebhookWithSecret = z.output<typeof webhookWithSecretSchema>;
export type WebhookCreate = z.output<typeof webhookCreateSchema>;
export type WebhookUpdate = z.output<typeof webhookUpdateSchema>;
export type SecretRotate = z.output<typeof secretRotateSchema>;
export type WebhookEnvelope = z.output<typeof webhookEnvelopeSchema>;
export type WebhookDelivery = z.output<typeof deliverySchema>;
export type DeliveryListQuery = z.output<typeof deliveryListQuerySchema>;
