import { and, asc, eq, inArray, isNull, lt, lte, min, ne, or, sql } from 'drizzle-orm';
import { Agent, request } from 'undici';
import { secretHider } from '../core/hide-secrets.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import { mayHaveRecordedDeliveries } from './webhook-events.js';
import { bodyOf } from './webhook-payload.js';
import { defaultRetryPolicy, parseRetryAfter, retryDelay, type RetryPolicy } from './webhook-retry.js';
import { signBody, signatureHeader } from './webhook-signature.js';
import { responseExcerptBytes, type WebhookDelivery } from './webhook.schema.js';
import type { WebhookService } from './webhook.service.js';
import { webhookDeliveryTable, webhookTable, type WebhookDeliveryRow } from './webhook.sql.js';

export interface WebhookSenderOptions {
  /** When failed deliveries are tried again (see webhook-retry): the waits, their jitter, the longest Retry-After honored. */
  retry?: Partial<RetryPolicy>;
  /** How long a receiver may take to answer, body included (10 s). */
  timeoutMs?: number;
  /** The longest the sender sleeps without looking for due deliveries (15 s): what the change feed did not wake it for. */
  sweepMs?: number;
  /** How long one process holds a delivery while sending it; longer than a send takes (60 s). */
  leaseMs?: number;
  /** Deliveries sent at once by this process (4). */
  concurrency?: number;
  /** Delivered and failed deliveries older than this are deleted (30 days). */
  retentionMs?: number;
  userAgent?: string;
  onError?: (error: unknown) => void;
  /** A delivery that failed: `retryAt` when it will be tried again, undefined when it was given up. */
  onFailure?: (delivery: { id: number; webhook_id: number; event: string; host: string; attempts: number }, message: string, retryAt: Date | undefined) => void;
}

/** What one attempt came to. */
interface Outcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  durationMs: number;
  retryAfterMs?: number;
}

const pruneEveryMs = 3_600_000;
const pruneBatch = 1000;

/**
 * POSTs the pending deliveries to their webhooks, signed (X-Wfhub-Signature: sha256=HMAC of the
 * raw body), and records each attempt on its row: a 2xx delivers it; anything else (a status,
 * a redirect, which is never followed, a timeout, a refused connection) schedules a retry with
 * backoff, no sooner than a 429's or 503's Retry-After, until the attempts run out and it fails.
 *
 * Woken by the change feed (a run ending, a task changing: the triggers may have recorded
 * deliveries) and by its own timer, set for the next retry due and at most `sweepMs` away; a
 * start sends whatever waited, so a restart resumes the pending deliveries. Each delivery is
 * claimed with `for update skip locked` and held by a lease while it is sent, so processes
 * sharing a PostgreSQL database never send one delivery at once. A process that dies mid-send
 * leaves its lease to expire, and the delivery is sent again: receivers dedupe by
 * X-Wfhub-Delivery.
 */
export class WebhookSender {
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly sweepMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly retentionMs: number;
  private readonly userAgent: string;
  private agent = newAgent();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private again = false;
  private readonly sending = new Set<Promise<void>>();
  private prunedAt = 0;
  /** Counts wakes: a sleep worked out before the latest one is not taken. */
  private generation = 0;
  private stopped = true;

  constructor(
    private readonly db: Database,
    private readonly feed: ChangeFeed,
    private readonly webhooks: WebhookService,
    private readonly options: WebhookSenderOptions = {},
  ) {
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.sweepMs = options.sweepMs ?? 15_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.concurrency = options.concurrency ?? 4;
    this.retentionMs = options.retentionMs ?? 30 * 24 * 3_600_000;
    this.userAgent = options.userAgent ?? 'wfhub-webhooks';
  }

  /** Listens for the changes that record deliveries, and sends what is due now. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.feed.subscribe((change) => {
      if (mayHaveRecordedDeliveries(change)) this.wake();
    });
    this.wake();
  }

  /** Stops sending; the attempts under way finish (a receiver has `timeoutMs` to answer). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.passing?.catch(() => undefined);
    await Promise.allSettled([...this.sending]);
    const agent = this.agent;
    this.agent = newAgent();
    await agent.close().catch(() => undefined);
  }

  /**
   * Sends the delivery now, whatever its wait, unless another process is sending it: answers it
   * as it stands afterwards. For a ping and a redelivery (sent even while the sender is stopped).
   */
  async sendNow(deliveryId: number): Promise<WebhookDelivery> {
    const now = new Date();
    const until = new Date(now.getTime() + this.leaseMs);
    const [row] = await this.db
      .update(webhookDeliveryTable)
      .set({ lease_until: until })
      .where(and(eq(webhookDeliveryTable.id, deliveryId), eq(webhookDeliveryTable.status, 'pending'), free(now)))
      .returning();
    if (row) await this.track(this.attempt(row, until));
    return this.webhooks.delivery(deliveryId);
  }

  /** Looks for due deliveries now (in the background; one look at a time). */
  wake(): void {
    if (this.stopped) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.generation++;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.passing = this.pass()
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.passing = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          this.scheduleNext().catch((error: unknown) => {
            this.options.onError?.(error);
            this.sleep(this.sweepMs);
          });
        }
      });
  }

  /** Claims what is due, as much as there is room for, and starts sending it. */
  private async pass(): Promise<void> {
    await this.pruneNowAndThen();
    while (!this.stopped) {
      const room = this.concurrency - this.sending.size;
      // A send that ends wakes the sender again.
      if (room <= 0) return;
      const until = new Date(Date.now() + this.leaseMs);
      const claimed = await this.claimDue(room, until);
      for (const row of claimed) void this.track(this.attempt(row, until));
      if (claimed.length < room) return;
    }
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) => this.options.onError?.(error));
    this.sending.add(tracked);
    void tracked.finally(() => {
      this.sending.delete(tracked);
      this.wake();
    });
    return tracked;
  }

  /** Up to `limit` due deliveries of active webhooks, held by this process until `until`. */
  private async claimDue(limit: number, until: Date): Promise<WebhookDeliveryRow[]> {
    const now = new Date();
    const due = this.db
      .select({ id: webhookDeliveryTable.id })
      .from(webhookDeliveryTable)
      .innerJoin(webhookTable, eq(webhookTable.id, webhookDeliveryTable.webhook_id))
      .where(and(eq(webhookDeliveryTable.status, 'pending'), lte(webhookDeliveryTable.next_attempt_at, now), free(now), eq(webhookTable.active, true)))
      .orderBy(asc(webhookDeliveryTable.next_attempt_at), asc(webhookDeliveryTable.id))
      .limit(limit)
      // Rows another process is claiming at this moment are left to it.
      .for('update', { of: webhookDeliveryTable, skipLocked: true });
    return this.db
      .update(webhookDeliveryTable)
      .set({ lease_until: until })
      .where(and(inArray(webhookDeliveryTable.id, due), eq(webhookDeliveryTable.status, 'pending'), free(now)))
      .returning();
  }

  /** Sleeps until the next pending delivery is due (or its lease ends), `sweepMs` at most. */
  private async scheduleNext(): Promise<void> {
    if (this.stopped) return;
    const generation = this.generation;
    const [next] = await this.db
      .select({ at: min(sql<Date>`greatest(${webhookDeliveryTable.next_attempt_at}, coalesce(${webhookDeliveryTable.lease_until}, ${webhookDeliveryTable.next_attempt_at}))`) })
      .from(webhookDeliveryTable)
      .innerJoin(webhookTable, eq(webhookTable.id, webhookDeliveryTable.webhook_id))
      .where(and(eq(webhookDeliveryTable.status, 'pending'), eq(webhookTable.active, true)));
    const at = next?.at ? new Date(next.at).getTime() : undefined;
    if (generation !== this.generation) return;
    this.sleep(at === undefined ? this.sweepMs : Math.min(Math.max(at - Date.now(), 20), this.sweepMs));
  }

  private sleep(ms: number): void {
    if (this.stopped || this.passing) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), ms).unref();
  }

  /** Delivered and failed deliveries past the retention go, an hour apart, a batch at a time. */
  private async pruneNowAndThen(): Promise<void> {
    if (Date.now() - this.prunedAt < pruneEveryMs) return;
    this.prunedAt = Date.now();
    const old = this.db
      .select({ id: webhookDeliveryTable.id })
      .from(webhookDeliveryTable)
      .where(and(ne(webhookDeliveryTable.status, 'pending'), lt(webhookDeliveryTable.created_at, new Date(Date.now() - this.retentionMs))))
      .limit(pruneBatch);
    await this.db.delete(webhookDeliveryTable).where(inArray(webhookDeliveryTable.id, old));
  }

  /** One attempt: the POST, then its outcome recorded, if the lease is still this process's. */
  private async attempt(row: WebhookDeliveryRow, until: Date): Promise<void> {
    const [webhook] = await this.db
      .select({ url: webhookTable.url, sealed_secret: webhookTable.sealed_secret, project_id: webhookTable.project_id })
      .from(webhookTable)
      .where(eq(webhookTable.id, row.webhook_id));
    // Deleted meanwhile: its deliveries went with it.
    if (!webhook) return;
    await this.record(row, until, await this.send(row, webhook), webhook.url);
  }

  /** Signs the delivery's body with the webhook's secret and POSTs it. */
  private async send(row: WebhookDeliveryRow, webhook: { url: string; sealed_secret: string; project_id: number }): Promise<Outcome> {
    let secret: string;
    try {
      secret = this.webhooks.openSecret(webhook.sealed_secret);
    } catch (error) {
      return { ok: false, statusCode: null, excerpt: null, durationMs: 0, error: `${(error as Error).message} (POST /webhooks/${row.webhook_id}/rotate-secret makes a new secret)` };
    }
    const body = bodyOf(row, webhook.project_id);
    const outcome = await this.post(webhook.url, body, {
      'content-type': 'application/json',
      'user-agent': this.userAgent,
      'x-wfhub-event': row.event,
      'x-wfhub-delivery': String(row.id),
      [signatureHeader]: signBody(secret, body),
    });
    // A receiver that echoes what it got never shows the secret in the log.
    const hide = secretHider([secret]);
    return { ...outcome, error: outcome.error && hide(outcome.error), excerpt: outcome.excerpt && hide(outcome.excerpt) };
  }

  private async post(url: string, body: string, headers: Record<string, string>): Promise<Outcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await request(url, { method: 'POST', headers, body, signal, dispatcher: this.agent });
      const excerpt = await readCapped(response.body, responseExcerptBytes);
      const statusCode = response.statusCode;
      const header = (name: string) => {
        const value = response.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const ok = statusCode >= 200 && statusCode < 300;
      let error: string | null = null;
      if (statusCode >= 300 && statusCode < 400) {
        const location = header('location');
        error = `HTTP ${statusCode}: redirected${location ? ` to ${location.slice(0, 300)}` : ''}, which wfhub does not follow: point the webhook at the final URL`;
      } else if (!ok) {
        error = `HTTP ${statusCode}`;
      }
      const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(header('retry-after')) : undefined;
      return { ok, statusCode, error, excerpt, durationMs: elapsed(), ...(retryAfterMs !== undefined && { retryAfterMs }) };
    } catch (error) {
      const message = signal.aborted ? `no answer within ${Math.round(this.timeoutMs / 100) / 10} s` : `cannot reach ${hostOf(url)}: ${networkMessage(error)}`;
      return { ok: false, statusCode: null, error: message, excerpt: null, durationMs: elapsed() };
    }
  }

  private async record(row: WebhookDeliveryRow, until: Date, outcome: Outcome, url: string): Promise<void> {
    const now = new Date();
    const attempts = row.attempts + 1;
    // A ping says whether the URL works now: it is not retried.
    const wait = outcome.ok || row.event === 'ping' ? undefined : retryDelay(this.policy, attempts, outcome.retryAfterMs);
    const retryAt = wait === undefined ? undefined : new Date(now.getTime() + wait);
    await this.db
      .update(webhookDeliveryTable)
      .set({
        status: outcome.ok ? 'delivered' : retryAt ? 'pending' : 'failed',
        attempts,
        next_attempt_at: retryAt ?? null,
        lease_until: null,
        last_attempt_at: now,
        last_status_code: outcome.statusCode,
        last_error: outcome.error?.slice(0, 2000) ?? null,
        response_excerpt: outcome.excerpt,
        duration_ms: outcome.durationMs,
        ...(outcome.ok && { delivered_at: now }),
      })
      .where(and(eq(webhookDeliveryTable.id, row.id), eq(webhookDeliveryTable.lease_until, until)));
    if (!outcome.ok) {
      this.options.onFailure?.({ id: row.id, webhook_id: row.webhook_id, event: row.event, host: hostOf(url), attempts }, outcome.error ?? 'failed', retryAt);
    }
  }
}

/** Not held by a process, or its hold has run out. */
const free = (now: Date) => or(isNull(webhookDeliveryTable.lease_until), lte(webhookDeliveryTable.lease_until, now));

/** Connections kept a moment for the next delivery, and no redirects followed (undici's default). */
const newAgent = () => new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 10_000, connect: { timeout: 10_000 } });

/** The host alone: a URL's path may hold a token (chat services put one there), never logged. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the webhook URL';
  }
}

function networkMessage(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return typeof message === 'string' && message.includes(code) ? message : code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The start of an answer's body, `limit` bytes at most; the rest is not read. Never throws. */
async function readCapped(body: AsyncIterable<Buffer | Uint8Array> & { destroy(): unknown }, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(Buffer.from(chunk));
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch {
    // Cut short (the timeout, a reset): what arrived is kept.
  } finally {
    if (size >= limit) body.destroy();
  }
  if (size === 0) return null;
  // PostgreSQL text takes no NUL.
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8').replaceAll('\0', '');
}
