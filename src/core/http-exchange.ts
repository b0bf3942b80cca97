/**
 * One HTTP call to a model server as it is recorded: who was called, how it went, how long it
 * took, and a capped copy of both bodies. The agent's own calls and the `/ollama` proxy's are
 * described the same way, so they are recorded the same way.
 */
export interface HttpExchange {
  readonly method: string;
  /** The full URL called. */
  readonly url: string;
  /** The HTTP status of the answer; undefined when none came. */
  readonly status?: number;
  /** Why the call failed, when it did (no answer, cut short, an error status). */
  readonly error?: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  /** From sending the request to the first bytes of the answer's body. */
  readonly firstByteMs?: number;
  readonly request: CapturedText;
  readonly response: CapturedText;
}

/** A body as kept: its start, its end (where a streamed answer's totals are), and its full size. */
export interface CapturedText {
  readonly head: string;
  /** The last characters, when the body was longer than the head could hold; '' otherwise. */
  readonly tail: string;
  /** How many bytes the whole body had. */
  readonly bytes: number;
}

/** Told of each exchange once it has ended; it must not throw or hold anything up. */
export type ExchangeObserver = (exchange: HttpExchange) => void;

/** How much of each body is kept by default: the start and the end. */
export const defaultHeadChars = 16 * 1024;
export const defaultTailChars = 4 * 1024;

/**
 * Keeps the start and the end of a body that streams past in chunks, in bounded memory whatever
 * its size: a multi-gigabyte pull or a long reply costs a few kilobytes to record.
 */
export class BodyCapture {
  private head = '';
  private tail = '';
  private bytes = 0;
  private decoder = new TextDecoder();

  constructor(
    private readonly headChars = defaultHeadChars,
    private readonly tailChars = defaultTailChars,
  ) {}

  /** Adds a chunk (bytes or text). */
  add(chunk: Uint8Array | string): void {
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    // A chunk far larger than what is kept (a request with images in it) is not decoded whole:
    // only as many bytes as its kept start and end can need (four per character at most).
    const keep = (this.headChars - this.head.length + this.tailChars) * 4;
    if (typeof chunk !== 'string' && chunk.byteLength > keep + 1024) {
      const room = Math.max(0, this.headChars - this.head.length) * 4;
      const start = this.decoder.decode(chunk.subarray(0, room), { stream: true });
      this.push(start.slice(0, this.headChars - this.head.length));
      this.decoder = new TextDecoder();
      this.tail = this.decoder.decode(chunk.subarray(chunk.byteLength - this.tailChars * 4), { stream: true }).slice(-this.tailChars);
      return;
    }
    this.push(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
  }

  private push(text: string): void {
    if (text === '') return;
    const room = this.headChars - this.head.length;
    if (room > 0) {
      this.head += text.slice(0, room);
      text = text.slice(room);
      if (text === '') return;
    }
    this.tail = (this.tail + text).slice(-this.tailChars);
  }

  /** What was kept so far. */
  captured(): CapturedText {
    this.push(this.decoder.decode());
    return { head: this.head, tail: this.tail, bytes: this.bytes };
  }
}

/** The body as one text: the whole of it when it fitted, else its start and end with a mark between. */
export function keptText(body: CapturedText): string {
  if (body.tail === '') return body.head;
  const kept = Buffer.byteLength(body.head) + Buffer.byteLength(body.tail);
  return `${body.head}\n… (${Math.max(0, body.bytes - kept)} bytes left out) …\n${body.tail}`;
}
