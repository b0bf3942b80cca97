import { z } from 'zod';
import { lines } from '../http-stream.js';

/** One line of Ollama's /api/pull or /api/create stream: a status, with byte counts while a layer downloads. */
export interface ModelProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

const progressLine = z.object({
  status: z.string().optional(),
  digest: z.string().optional(),
  total: z.number().optional(),
  completed: z.number().optional(),
  error: z.string().optional(),
});

/** A pull answers nothing for this long (a stalled download): it is given up. */
const idleMs = 300_000;

/**
 * Sends a model-management request (pull, create) and reads its NDJSON stream to the end: each
 * status is told as it comes, an `{"error": ...}` line (or an HTTP error) is thrown with Ollama's
 * words, and a stream that ends without "success" is an error too.
 */
async function streamed(url: string, body: Record<string, unknown>, options: { signal?: AbortSignal; onProgress?: (progress: ModelProgress) => void }): Promise<void> {
  const idle = new AbortController();
  let timer = setTimeout(() => idle.abort(new Error(`${url} sent nothing for ${idleMs / 1000} s`)), idleMs);
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  try {
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }), signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new Error(`cannot reach ${new URL(url).origin} (${(error as Error).message}): start Ollama (ollama serve), or set OLLAMA_HOST`);
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      let said = text.trim();
      try {
        said = (JSON.parse(text) as { error?: string }).error ?? said;
      } catch {
        // not JSON: the text as it is
      }
      throw new Error(`${new URL(url).origin} answered HTTP ${response.status}${said ? `: ${said}` : ''}`);
    }
    const decoder = new TextDecoder();
    async function* text(stream: ReadableStream<Uint8Array>) {
      for await (const chunk of stream) {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(new Error(`${url} sent nothing for ${idleMs / 1000} s`)), idleMs);
        yield decoder.decode(chunk, { stream: true });
      }
    }
    let succeeded = false;
    for await (const line of lines(text(response.body))) {
      let parsed: z.output<typeof progressLine>;
      try {
        parsed = progressLine.parse(JSON.parse(line));
      } catch {
        throw new Error(`${new URL(url).origin} answered a line that is not a progress report: ${line.slice(0, 200)}`);
      }
      if (parsed.error) throw new Error(parsed.error);
      if (!parsed.status) continue;
      options.onProgress?.({ status: parsed.status, ...(parsed.digest && { digest: parsed.digest }), ...(parsed.total !== undefined && { total: parsed.total }), ...(parsed.completed !== undefined && { completed: parsed.completed }) });
      if (parsed.status === 'success') succeeded = true;
    }
    if (!succeeded) throw new Error(`${new URL(url).origin} ended the stream before it said "success"`);
  } finally {
    clearTimeout(timer);
  }
}

/** Pulls a model onto the Ollama server (`ollama pull`), telling its progress. */
export function pullModel(baseUrl: string, model: string, options: { signal?: AbortSignal; onProgress?: (progress: ModelProgress) => void } = {}): Promise<void> {
  return streamed(`${baseUrl}/api/pull`, { model }, options);
}

/**
 * Makes a variant of a model with a fixed context window and temperature 0 (what the agent asks
 * for anyway), so every client of the server gets the window the model needs.
 */
export function tuneModel(
  baseUrl: string,
  input: { model: string; from: string; numCtx: number },
  options: { signal?: AbortSignal; onProgress?: (progress: ModelProgress) => void } = {},
): Promise<void> {
  return streamed(`${baseUrl}/api/create`, { model: input.model, from: input.from, parameters: { num_ctx: input.numCtx, temperature: 0 } }, options);
}
