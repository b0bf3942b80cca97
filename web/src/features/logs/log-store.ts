import { logChannels, type LogChannel } from '../../../../src/logs/log-fields.js';
import type { LogEntry } from '../../../../src/logs/log.schema.js';

/** An entry with the line the panel shows for it. */
export type ShownEntry = LogEntry & { text: string };

/** How many entries a tab keeps: as many as the server keeps per channel. */
export const entriesPerChannel = 1000;

/**
 * The entries the Logs panel has heard, per channel, each once and in order: the socket and the
 * polling that stands in for it may both deliver an entry, and only the first counts.
 */
export class LogStore {
  readonly channels = new Map<LogChannel, ShownEntry[]>(logChannels.map((channel) => [channel, []]));
  lastSeq = 0;
  /** "GET /tasks/3" by request id, so a request's completion can say what it completed. */
  private readonly requests = new Map<string, string>();

  /** Adds an entry; false for one already heard. */
  add(entry: LogEntry): boolean {
    if (entry.seq <= this.lastSeq) return false;
    this.lastSeq = entry.seq;
    const list = this.channels.get(entry.channel);
    if (!list) return false;
    list.push({ ...entry, text: this.describe(entry) });
    if (list.length > entriesPerChannel) list.splice(0, list.length - entriesPerChannel);
    return true;
  }

  /** What the line says: a server request as its method and path, its completion with its status. */
  private describe(entry: LogEntry): string {
    const data = entry.data as { reqId?: unknown; req?: { method?: unknown; url?: unknown }; res?: { statusCode?: unknown }; responseTime?: unknown } | undefined;
    if (entry.channel !== 'server' || !data) return entry.message;
    const id = typeof data.reqId === 'string' ? data.reqId : undefined;
    if (typeof data.req?.method === 'string' && typeof data.req.url === 'string') {
      const request = `${data.req.method} ${data.req.url}`;
      if (id) {
        this.requests.set(id, request);
        if (this.requests.size > entriesPerChannel) this.requests.delete(this.requests.keys().next().value!);
      }
      return `${request}: ${entry.message}`;
    }
    if (typeof data.res?.statusCode === 'number') {
      const took = typeof data.responseTime === 'number' ? ` in ${Math.round(data.responseTime)} ms` : '';
      return `${(id && this.requests.get(id)) ?? id ?? 'request'} → ${data.res.statusCode}${took}`;
    }
    return entry.message;
  }

  clear(channel: LogChannel): void {
    this.channels.set(channel, []);
  }
}
