import { secretHider } from '../core/hide-secrets.js';
import type { PageOf } from '../core/schema-helpers.js';
import { logChannels, type LogChannel, type LogEntry, type LogLevel } from './log.schema.js';

export interface LogFeedOptions {
  /** Entries kept per channel (1000 by default); older ones are dropped. */
  perChannel?: number;
  /** The most text one entry holds, its message and its data as JSON together (8 KB by default). */
  maxEntryChars?: number;
  /** Values no entry may hold (the token, an API key): hidden wherever they appear. */
  secrets?: readonly (string | undefined)[];
}

export type LogListener = (entry: LogEntry) => void;

/** Entries so large are cut: one huge prompt or stack must not hold the memory of thousands. */
const defaultMaxEntryChars = 8 * 1024;

/** A text cut to `max` characters, saying how much was left out. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const kept = Math.max(0, max - 40);
  return `${text.slice(0, kept)}… (${text.length - kept} more characters)`;
}

/** The index of the first entry after `seq` in entries sorted by seq. */
function firstAfter(entries: readonly LogEntry[], seq: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (entries[middle]!.seq <= seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The Logs panel's memory: the latest entries of each channel, in this process only (nothing is
 * stored; the operator's own log output is the record). Each channel keeps its own last entries,
 * so a burst of server lines never pushes the model traffic out. Listeners hear every entry as it
 * is written.
 */
export class LogFeed {
  private readonly channels = new Map<LogChannel, LogEntry[]>(logChannels.map((channel) => [channel, []]));
  private readonly listeners = new Set<LogListener>();
  private readonly perChannel: number;
  private readonly maxEntryChars: number;
  private readonly hide: (text: string) => string;
  /**
   * From the start time in microseconds: a server started again gives larger numbers than the one
   * before it did (unless it wrote a thousand entries a millisecond), so a client that resumes
   * after the last seq it saw misses nothing of the new one.
   */
  private last = Date.now() * 1000;

  constructor(options: LogFeedOptions = {}) {
    this.perChannel = Math.max(1, options.perChannel ?? 1000);
    this.maxEntryChars = Math.max(256, options.maxEntryChars ?? defaultMaxEntryChars);
    this.hide = secretHider(options.secrets ?? []);
  }

  /** The seq of the newest entry (the start value while there is none). */
  get lastSeq(): number {
    return this.last;
  }

  /** Writes an entry and tells every listener; never throws (logging must not break what it logs). */
  append(channel: LogChannel, level: LogLevel, message: string, data?: Record<string, unknown>): LogEntry {
    const text = cut(this.hide(message), this.maxEntryChars);
    const entry: LogEntry = { seq: ++this.last, channel, at: new Date().toISOString(), level, message: text };
    if (data !== undefined) entry.data = this.bounded(data, this.maxEntryChars - text.length);
    const entries = this.channels.get(channel)!;
    entries.push(entry);
    if (entries.length > this.perChannel) entries.splice(0, entries.length - this.perChannel);
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        // A listener's failure is its own (a socket gone); the others still hear.
      }
    }
    return entry;
  }

  /** Data as plain JSON without secrets, or, beyond `budget` characters, the start of its JSON. */
  private bounded(data: Record<string, unknown>, budget: number): Record<string, unknown> {
    let json: string;
    try {
      json = this.hide(JSON.stringify(data) ?? '{}');
    } catch {
      return { unreadable: 'the details could not be written as JSON' };
    }
    const room = Math.max(256, budget);
    if (json.length > room) return { truncated: true, preview: cut(json, room - 64) };
    try {
      const parsed: unknown = JSON.parse(json);
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
    } catch {
      return { truncated: true, preview: json };
    }
  }

  /**
   * Entries after `after`, oldest first, of one channel or of all of them; `total` says how many
   * there are in all, so a client knows when `limit` left some for its next call.
   */
  after(after: number, options: { channel?: LogChannel; limit?: number } = {}): PageOf<LogEntry> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const lists = (options.channel ? [options.channel] : logChannels).map((channel) => {
      const entries = this.channels.get(channel)!;
      return entries.slice(firstAfter(entries, after));
    });
    const total = lists.reduce((sum, list) => sum + list.length, 0);
    if (lists.length === 1) return { items: lists[0]!.slice(0, limit), total };
    // Each list is in order: merged by seq, smallest first.
    const items: LogEntry[] = [];
    const next = lists.map(() => 0);
    while (items.length < limit) {
      let pick = -1;
      lists.forEach((list, index) => {
        const candidate = list[next[index]!];
        if (candidate && (pick < 0 || candidate.seq < lists[pick]![next[pick]!]!.seq)) pick = index;
      });
      if (pick < 0) break;
      items.push(lists[pick]![next[pick]!++]!);
    }
    return { items, total };
  }

  /** Calls `listener` with every entry written from now on, until the returned function is called. */
  subscribe(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
