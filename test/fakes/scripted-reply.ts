import type { IncomingMessage, ServerResponse } from 'node:http';

/** One reply of a fake model server, scripted by a test. */
export type ScriptedReply =
  | {
      kind?: 'reply';
      /** Streamed in pieces of `chunkSize` characters. */
      text?: string;
      thinking?: string;
      /** Native tool calls, sent whole (Ollama) or as argument deltas (OpenAI). */
      toolCalls?: { name: string; arguments: unknown; id?: string }[];
      /** Ollama's done_reason / OpenAI's finish_reason; chosen from the content when absent. */
      finishReason?: string;
      promptTokens?: number;
      completionTokens?: number;
      chunkSize?: number;
      /** Wait before the first byte of the reply (a model loading). */
      firstByteDelayMs?: number;
      /** Wait between chunks. */
      chunkDelayMs?: number;
    }
  /** An HTTP error with the server's documented error body. */
  | { kind: 'http-error'; status: number; message: string; headers?: Record<string, string> }
  /** These lines (or SSE data payloads), as they are: malformed JSON, error lines, cut streams. */
  | { kind: 'raw'; lines: string[]; status?: number }
  /** Never answers (`before-headers`) or stops after the first chunk (`after-first-chunk`). */
  | { kind: 'hang'; when: 'before-headers' | 'after-first-chunk' };

export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  try {
    return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

export function pieces(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let index = 0; index < text.length; index += size) parts.push(text.slice(index, index + size));
  return parts;
}
