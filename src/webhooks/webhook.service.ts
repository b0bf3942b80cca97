import { randomBytes } from 'node:crypto';
import { and, asc, count, desc, eq, inArray } from 'drizzle-orm';
import { InvalidInputError, NotFoundError, UnprocessableError } from '../core/errors.js';
import type { PageOf } from '../core/schema-helpers.js';
import type { Database } from '../db/database.js';
import { CredentialCipher } from '../integrations/credential-cipher.js';
import { projectTable } from '../projects/project.sql.js';
import { envelopeOf } from './webhook-payload.js';
import {
  maxWebhooksPerProject,
  webhookUrlProblem,
  type DeliveryListQuery,
  type SecretRotate,
  type Webhook,
  type WebhookCreate,
  type WebhookDelivery,
  type WebhookUpdate,
  type WebhookWithSecret,
} from './webhook.schema.js';
import { webhookDeliveryTable, webhookTable, type WebhookDeliveryRow, type WebhookRow } from './webhook.sql.js';

const webhookHint = "Check the id: GET /projects/{id}/webhooks lists a project's webhooks.";
const deliveryHint = "Check the id: GET /webhooks/{id}/deliveries lists a webhook's deliveries.";

/** A secret for a webhook whose creator gave none: 192 random bits. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

const hintOf = (secret: string) => `…${secret.slice(-4)}`;

/**
 * A project's webhooks and their delivery log. A webhook's secret is sealed with the credential
 * cipher as it is stored and answered once, when it is made (created, or rotated); every other
 * answer has only its hint. The events themselves are recorded by database triggers (see
 * webhook-events) and sent by the WebhookSender.
 */
export class WebhookService {
  private cipherValue: CredentialCipher | undefined;

  constructor(
    private readonly db: Database,
    private readonly options: { secretKey?: string; dataDir: string },
  ) {}

  /** Loaded on first use: a hub that never has a webhook writes no key file. */
  private get cipher(): CredentialCipher {
    this.cipherValue ??= CredentialCipher.load(this.options);
    return this.cipherValue;
  }

  /** A webhook's secret, for signing (throws SealedValueError when this key did not seal it). */
  openSecret(sealed: string): string {
    return this.cipher.open(sealed);
  }

  async listForProject(projectId: number): Promise<Webhook[]> {
    await this.requireProject(this.db, projectId);
    const rows = await this.db.select().from(webhookTable).where(eq(webhookTable.project_id, projectId)).orderBy(asc(webhookTable.id));
    return this.present(rows);
  }

  async get(id: number): Promise<Webhook> {
    const [webhook] = await this.present([await this.row(id)]);
    return webhook!;
  }

  /** Makes a webhook; its secret (given, or made here) is in this answer and no other. */
  async create(projectId: number, input: WebhookCreate): Promise<WebhookWithSecret> {
    checkUrl(input.url);
    const secret = input.secret ?? newSecret();
    const row = await this.db.transaction(async (transaction) => {
      const db = transaction as unknown as Database;
      // The project's row held: two creations at once cannot both find room for the last one.
      await this.requireProject(db, projectId, { lock: true });
      const [existing] = await db.select({ value: count() }).from(webhookTable).where(eq(webhookTable.project_id, projectId));
      if ((existing?.value ?? 0) >= maxWebhooksPerProject) {
        throw new UnprocessableError(
          'too_many_webhooks',
          `Project ${projectId} has ${maxWebhooksPerProject} webhooks, the most it may have: delete one (DELETE /webhooks/{id}) or send more events to one of them.`,
          { project_id: projectId, max: maxWebhooksPerProject },
        );
      }
      const [created] = await db
        .insert(webhookTable)
        .values({
          project_id: projectId,
          url: input.url,
          events: [...input.events],
          sealed_secret: this.cipher.seal(secret),
          secret_hint: hintOf(secret),
          active: input.active ?? true,
          description: input.description ?? null,
        })
        .returning();
      return created!;
    });
    const [webhook] = await this.present([row]);
    return { ...webhook!, secret };
  }

  async update(id: number, input: WebhookUpdate): Promise<Webhook> {
    if (input.url !== undefined) checkUrl(input.url);
    const [row] = await this.db
      .update(webhookTable)
      .set({
        ...(input.url !== undefined && { url: input.url }),
        ...(input.events !== undefined && { events: [...input.events] }),
        ...(input.active !== undefined && { active: input.active }),
        ...(input.description !== undefined && { description: input.description }),
        updated_at: new Date(),
      })
      .where(eq(webhookTable.id, id))
      .returning();
    if (!row) throw new NotFoundError('webhook', id, webhookHint);
    const [webhook] = await this.present([row]);
    return webhook!;
  }

  /** Deletes the webhook and its deliveries (those pending are not sent). */
  async delete(id: number): Promise<void> {
    const deleted = await this.db.delete(webhookTable).where(eq(webhookTable.id, id)).returning({ id: webhookTable.id });
    if (deleted.length === 0) throw new NotFoundError('webhook', id, webhookHint);
  }

  /** A new secret (given, or made here), answered this once; deliveries from now on are signed with it. */
  async rotateSecret(id: number, input: SecretRotate): Promise<WebhookWithSecret> {
    const secret = input.secret ?? newSecret();
    const [row] = await this.db
      .update(webhookTable)
      .set({ sealed_secret: this.cipher.seal(secret), secret_hint: hintOf(secret), updated_at: new Date() })
      .where(eq(webhookTable.id, id))
      .returning();
    if (!row) throw new NotFoundError('webhook', id, webhookHint);
    const [webhook] = await this.present([row]);
    return { ...webhook!, secret };
  }

  /** A webhook's deliveries, newest first. */
  async deliveries(webhookId: number, query: DeliveryListQuery): Promise<PageOf<WebhookDelivery>> {
    const webhook = await this.row(webhookId);
    const where = and(eq(webhookDeliveryTable.webhook_id, webhookId), query.status ? eq(webhookDeliveryTable.status, query.status) : undefined);
    const [rows, [total]] = await Promise.all([
      this.db.select().from(webhookDeliveryTable).where(where).orderBy(desc(webhookDeliveryTable.id)).limit(query.limit).offset(query.offset),
      this.db.select({ value: count() }).from(webhookDeliveryTable).where(where),
    ]);
    return { items: rows.map((row) => presentDelivery(row, webhook.project_id)), total: total?.value ?? 0 };
  }

  async delivery(id: number): Promise<WebhookDelivery> {
    const [found] = await this.db
      .select({ delivery: webhookDeliveryTable, project_id: webhookTable.project_id })
      .from(webhookDeliveryTable)
      .innerJoin(webhookTable, eq(webhookTable.id, webhookDeliveryTable.webhook_id))
      .where(eq(webhookDeliveryTable.id, id));
    if (!found) throw new NotFoundError('delivery', id, deliveryHint);
    return presentDelivery(found.delivery, found.project_id);
  }

  /** Records a `ping` to the webhook, due now; answers its id (the sender sends it). */
  async ping(webhookId: number): Promise<number> {
    const webhook = await this.row(webhookId);
    const [row] = await this.db
      .insert(webhookDeliveryTable)
      .values({
        webhook_id: webhook.id,
        event: 'ping',
        payload: { webhook_id: webhook.id, events: webhook.events, message: 'A test from wfhub: this URL receives the events listed.' },
      })
      .returning({ id: webhookDeliveryTable.id });
    return row!.id;
  }

  /** Records the delivery's event again as a new delivery, due now; answers its id. */
  async redeliver(deliveryId: number): Promise<number> {
    const [original] = await this.db.select().from(webhookDeliveryTable).where(eq(webhookDeliveryTable.id, deliveryId));
    if (!original) throw new NotFoundError('delivery', deliveryId, deliveryHint);
    const [row] = await this.db
      .insert(webhookDeliveryTable)
      .values({ webhook_id: original.webhook_id, event: original.event, payload: original.payload, redelivery_of: original.id })
      .returning({ id: webhookDeliveryTable.id });
    return row!.id;
  }

  private async row(id: number): Promise<WebhookRow> {
    const [row] = await this.db.select().from(webhookTable).where(eq(webhookTable.id, id));
    if (!row) throw new NotFoundError('webhook', id, webhookHint);
    return row;
  }

  private async requireProject(db: Database, projectId: number, options: { lock?: boolean } = {}): Promise<void> {
    const query = db.select({ id: projectTable.id }).from(projectTable).where(eq(projectTable.id, projectId));
    const [row] = options.lock ? await query.for('update') : await query;
    if (!row) throw new NotFoundError('project', projectId);
  }

  /** The webhooks as answered: never the secret, and each with its newest delivery. */
  private async present(rows: WebhookRow[]): Promise<Webhook[]> {
    const ids = rows.map((row) => row.id);
    const latest =
      ids.length === 0
        ? []
        : await this.db
            .selectDistinctOn([webhookDeliveryTable.webhook_id], {
              webhook_id: webhookDeliveryTable.webhook_id,
              id: webhookDeliveryTable.id,
              event: webhookDeliveryTable.event,
              status: webhookDeliveryTable.status,
              last_status_code: webhookDeliveryTable.last_status_code,
              attempts: webhookDeliveryTable.attempts,
              created_at: webhookDeliveryTable.created_at,
              last_attempt_at: webhookDeliveryTable.last_attempt_at,
            })
            .from(webhookDeliveryTable)
            .where(inArray(webhookDeliveryTable.webhook_id, ids))
            .orderBy(webhookDeliveryTable.webhook_id, desc(webhookDeliveryTable.id));
    const byWebhook = new Map(latest.map(({ webhook_id, ...delivery }) => [webhook_id, delivery]));
    return rows.map((row) => ({
      id: row.id,
      project_id: row.project_id,
      url: row.url,
      events: row.events,
      active: row.active,
      description: row.description,
      secret_hint: row.secret_hint,
      last_delivery: byWebhook.get(row.id) ?? null,
      created_at: row.created_at,
      updated_at: row.updated_at,
    }));
  }
}

/** The schema checks URLs too; this holds for callers that reach the service directly. */
function checkUrl(url: string): void {
  const problem = webhookUrlProblem(url);
  if (problem) throw new InvalidInputError('invalid_url', `The webhook URL ${problem}.`);
}

export function presentDelivery(row: WebhookDeliveryRow, projectId: number): WebhookDelivery {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at : null,
    last_attempt_at: row.last_attempt_at,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    response_excerpt: row.response_excerpt,
    duration_ms: row.duration_ms,
    redelivery_of: row.redelivery_of,
    payload: envelopeOf(row, projectId),
    created_at: row.created_at,
    delivered_at: row.delivered_at,
  };
}
