import type { LlmEvent } from '../../../src/agent/llm/llm-types.js';
import type { CallTimeouts } from '../../../src/agent/llm/http-stream.js';

export async function collect(events: AsyncIterable<LlmEvent>): Promise<LlmEvent[]> {
  const all: LlmEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

/** Runs `events` to the end and returns the error it failed with (or throws if it did not fail). */
export async function failure(events: AsyncIterable<LlmEvent>): Promise<{ error: Error & { code?: string }; received: LlmEvent[] }> {
  const received: LlmEvent[] = [];
  try {
    for await (const event of events) received.push(event);
  } catch (error) {
    return { error: error as Error & { code?: string }, received };
  }
  throw new Error(`expected the call to fail; it gave ${JSON.stringify(received)}`);
}

export function textOf(events: LlmEvent[]): string {
  return events.map((event) => (event.type === 'text' ? event.text : '')).join('');
}

export const fastTimeouts: CallTimeouts = { connectMs: 2000, firstTokenMs: 3000, idleMs: 3000, totalMs: 20_000 };

export const quickRetry = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 };

/** A port nothing listens on: bound then released. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
