import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoopbackServer } from './loopback-server.js';

/** One request the receiver got, its body as the exact bytes sent. */
export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: any;
}

/** How the receiver answers one request. */
export interface Reply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Waits this long before answering. */
  delayMs?: number;
}

/** A webhook receiver on a loopback port: records every request, answers as scripted per path (200 otherwise). */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, Reply[]>();
  private readonly always = new Map<string, Reply>();
  private readonly server = new LoopbackServer();
  url = '';

  async start(): Promise<this> {
    this.url = await this.server.start(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const path = request.url ?? '/';
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
      this.received.push({ at: Date.now(), path, headers: request.headers, raw, body });
      const reply = this.scripts.get(path)?.shift() ?? this.always.get(path) ?? { status: 200, body: 'ok' };
      if (reply.delayMs) await sleep(reply.delayMs);
      response.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
      response.end(reply.body ?? '');
    });
    return this;
  }

  /** The next requests to `path` get these answers, in turn. */
  script(path: string, ...replies: Reply[]): this {
    this.scripts.set(path, [...(this.scripts.get(path) ?? []), ...replies]);
    return this;
  }

  /** Every request to `path` (past the scripted ones) gets this answer. */
  answerAlways(path: string, reply: Reply): this {
    this.always.set(path, reply);
    return this;
  }

  at(path: string): Received[] {
    return this.received.filter((item) => item.path === path);
  }

  async waitFor(path: string, count: number, timeoutMs = 15_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.at(path).length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} request(s) to ${path}; got ${this.at(path).length}`);
      await sleep(20);
    }
    return this.at(path);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

/** What a receiver computes: GitHub's convention, sha256= and the hex HMAC-SHA256 of the raw body. */
export const expectedSignature = (secret: string, raw: Buffer) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
