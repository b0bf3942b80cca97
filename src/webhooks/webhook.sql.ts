import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { idColumn, timestamps } from '../db/columns.js';
import { projectTable } from '../projects/project.sql.js';
import { deliveryStatuses, type DeliveryEvent, type DeliveryStatus, type WebhookEvent } from './webhook-fields.js';

const inList = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

/**
 * A URL a project's events are POSTed to, signed with the webhook's secret. The secret is sealed
 * with the credential cipher (AES-256-GCM, the trackers' key) and never stored in the clear; its
 * last characters are kept apart as a hint.
 */
export const webhookTable = pgTable(
  'webhooks',
  {
    id: idColumn(),
    project_id: integer('project_id')
      .notNull()
      .references(() => projectTable.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** The events sent: `run.finished`, `task.status_changed` (read by the triggers of migration 0014 with `?`). */
    events: jsonb('events').$type<WebhookEvent[]>().notNull(),
    sealed_secret: text('sealed_secret').notNull(),
    /** The secret's last 4 characters, to tell secrets apart: never more of it. */
    secret_hint: text('secret_hint').notNull(),
    active: boolean('active').notNull().default(true),
    description: text('description'),
    ...timestamps,
  },
  (table) => [index('webhook_project_idx').on(table.project_id)],
);

export type WebhookRow = typeof webhookTable.$inferSelect;

/**
 * One event to send to one webhook, and how sending it went. Rows for run.finished and
 * task.status_changed are written by database triggers (migration 0014) in the transaction that
 * ends the run or changes the task's status, so an event is recorded exactly once and a crash
 * loses none; ping and redeliveries are written by the service.
 */
export const webhookDeliveryTable = pgTable(
  'webhook_deliveries',
  {
    id: idColumn(),
    webhook_id: integer('webhook_id')
      .notNull()
      .references(() => webhookTable.id, { onDelete: 'cascade' }),
    event: text('event').$type<DeliveryEvent>().notNull(),
    /** The event's `data`: what the run or task was when it happened. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** pending (to send, or to retry), delivered (a 2xx), failed (given up). */
    status: text('status').$type<DeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** When a pending delivery is due; null once it is delivered or failed. */
    next_attempt_at: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).defaultNow(),
    /** Until when one process holds it while sending (several may share a PostgreSQL database). */
    lease_until: timestamp('lease_until', { withTimezone: true, mode: 'date' }),
    last_attempt_at: timestamp('last_attempt_at', { withTimezone: true, mode: 'date' }),
    last_status_code: integer('last_status_code'),
    last_error: text('last_error'),
    /** The start of the receiver's last answer (about 2 KB at most). */
    response_excerpt: text('response_excerpt'),
    duration_ms: integer('duration_ms'),
    /** The delivery this one sends again (POST /webhooks/deliveries/{id}/redeliver). */
    redelivery_of: integer('redelivery_of').references((): AnyPgColumn => webhookDeliveryTable.id, { onDelete: 'set null' }),
    created_at: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    delivered_at: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
  },
  (table) => [
    index('webhook_delivery_webhook_idx').on(table.webhook_id, table.id),
    index('webhook_delivery_due_idx').on(table.next_attempt_at).where(sql`${table.status} = 'pending'`),
    check('webhook_delivery_status_check', sql`${table.status} in (${inList(deliveryStatuses)})`),
  ],
);

export type WebhookDeliveryRow = typeof webhookDeliveryTable.$inferSelect;
