import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { DatabaseConnection } from './database.js';

/**
 * A change one process made to the data, told to every listener: a wake-up, not the data itself.
 * Listeners read what changed from the database, so a change heard twice, or heard late, is
 * harmless; one never heard is caught by the listener's own polling.
 */
export type Change =
  | { kind: 'project'; op: ChangeOp; id: number }
  | { kind: 'task'; op: ChangeOp; id: number; project_id: number }
  | { kind: 'comment'; op: ChangeOp; id: number; task_id: number }
  | { kind: 'run'; op: Exclude<ChangeOp, 'deleted'>; id: number; task_id: number; status: string }
  /** A run recorded event `seq` (too many to tell the board; followers of the run listen). */
  | { kind: 'run_event'; run_id: number; seq: number }
  /**
   * Changes made elsewhere may have gone unheard (the connection that hears them was lost and is
   * back): listeners read what they show again.
   */
  | { kind: 'resync' };

export type ChangeOp = 'created' | 'updated' | 'deleted';

export type ChangeListener = (change: Change) => void;

const channel = 'wfhub_changes';
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
const maxPayloadBytes = 7900;

/**
 * Changes made in this process reach its listeners at once. On PostgreSQL, where other
 * processes (workers on other machines) share the database, each change is also sent with
 * NOTIFY, and the changes other processes send arrive through a LISTEN connection opened on the
 * first subscription. The embedded database allows one process, so there is no one else to tell.
 */
export class ChangeFeed {
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly origin = randomUUID();
  private listener: Promise<{ end(): Promise<void> } | undefined> | undefined;
  private closed = false;
  /** The LISTEN connection was lost: changes may have gone unheard until it is back. */
  private missed = false;
  private readonly pendingEvents = new Map<number, number>();
  private flushing: NodeJS.Timeout | undefined;
  /** The last NOTIFY sent (they go through one connection, in order). */
  private sending: Promise<void> = Promise.resolve();
  private notifier: Promise<{ query(text: string, values: unknown[]): Promise<unknown>; end(): Promise<void> }> | undefined;

  constructor(
    private readonly connection: DatabaseConnection,
    private readonly options: { onError?: (error: unknown) => void } = {},
  ) {}

  /** Tells every listener, here and (on PostgreSQL) in other processes. Never throws. */
  publish(change: Change): void {
    if (this.closed) return;
    this.local.emit('change', change);
    if (this.connection.kind !== 'postgres') return;
    if (change.kind === 'run_event') {
      // A run records an event per streamed piece of text: other processes hear of the latest
      // one a moment later, which tells them to read all of them.
      this.pendingEvents.set(change.run_id, change.seq);
      this.flushing ??= setTimeout(() => this.flush(), 25);
      return;
    }
    this.send(change);
  }

  private flush(): void {
    clearTimeout(this.flushing);
    this.flushing = undefined;
    for (const [runId, seq] of this.pendingEvents) this.send({ kind: 'run_event', run_id: runId, seq });
    this.pendingEvents.clear();
  }

  private send(change: Change): void {
    const payload = JSON.stringify({ ...change, origin: this.origin });
    if (Buffer.byteLength(payload) > maxPayloadBytes) return;
    this.sending = this.notify(payload).catch((error: unknown) => this.options.onError?.(error));
  }

  private async notify(payload: string): Promise<void> {
    this.notifier ??= (async () => {
      const { default: pg } = await import('pg');
      const pool = new pg.Pool({ connectionString: (this.connection as { url: string }).url, max: 1 });
      pool.on('error', (error) => this.options.onError?.(error));
      return pool;
    })();
    await (await this.notifier).query('select pg_notify($1, $2)', [channel, payload]);
  }

  /** Calls `listener` for every change until the returned function is called. */
  subscribe(listener: ChangeListener): () => void {
    this.local.on('change', listener);
    if (this.connection.kind === 'postgres') void this.listen();
    return () => this.local.off('change', listener);
  }

  /**
   * The LISTEN connection: opened once, checked every 30 seconds, and opened again after it fails,
   * telling listeners to read again what they show (changes made meanwhile were not heard).
   */
  private listen(): Promise<unknown> {
    this.listener ??= (async () => {
      if (this.closed || this.connection.kind !== 'postgres') return undefined;
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: this.connection.url, keepAlive: true });
      let lost = false;
      let check: NodeJS.Timeout | undefined;
      const again = (error: unknown) => {
        if (lost) return;
        lost = true;
        clearInterval(check);
        if (!this.closed) this.options.onError?.(error);
        client.end().catch(() => undefined);
        this.listener = undefined;
        if (!this.closed) {
          this.missed = true;
          setTimeout(() => void this.listen(), 1000).unref();
        }
      };
      client.on('error', again);
      client.on('end', () => again(new Error('the connection that hears other processes\' changes closed')));
      client.on('notification', (message) => {
        if (message.channel !== channel || !message.payload) return;
        try {
          const { origin, ...change } = JSON.parse(message.payload) as Change & { origin?: string };
          if (origin !== this.origin) this.local.emit('change', change);
        } catch {
          // Not one of ours.
        }
      });
      try {
        await client.connect();
        await client.query(`listen ${channel}`);
      } catch (error) {
        again(error);
        return undefined;
      }
      check = setInterval(() => void client.query('select 1').catch(again), 30_000);
      check.unref();
      if (this.missed) {
        this.missed = false;
        this.local.emit('change', { kind: 'resync' } satisfies Change);
      }
      return {
        end: async () => {
          lost = true;
          clearInterval(check);
          await client.end();
        },
      };
    })();
    return this.listener;
  }

  async close(): Promise<void> {
    // What was published before closing still reaches the other processes.
    this.flush();
    this.closed = true;
    await this.sending;
    this.local.removeAllListeners();
    const client = await this.listener?.catch(() => undefined);
    this.listener = undefined;
    await client?.end().catch(() => undefined);
    await (await this.notifier)?.end().catch(() => undefined);
    this.notifier = undefined;
  }
}
