import { Agent, fetch } from 'undici';
import { BodyCapture, type ExchangeObserver } from '../../core/http-exchange.js';
import { LlmError } from './llm-error.js';

/** How long a call to a model server may take, in its phases. */
export interface CallTimeouts {
  /** Opening the TCP connection. */
  readonly connectMs: number;
  /** From sending the request to the first bytes of the reply: loading a model on a CPU is slow. */
  readonly firstTokenMs: number;
  /** Between two chunks of a streamed reply. */
  readonly idleMs: number;
  /** The whole call. */
  readonly totalMs: number;
}

export interface StreamingRequest {
  readonly url: string;
  /** POST (the default) sends `body` as JSON; GET sends none. */
  readonly method?: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly timeouts: CallTimeouts;
  readonly signal?: AbortSignal;
  /** Names the server in messages ("Ollama at http://..."). */
  readonly serverName: string;
  /** What to tell a user who cannot reach the server. */
  readonly unreachableHint: string;
  /** Turns a non-2xx reply into the provider's error (it knows its error body and what 404 means). */
  readonly httpError: (status: number, body: string, headers: Headers) => LlmError;
  /** What to tell a user when the reply is too slow, for any of the timeouts (by default: which setting to raise). */
  readonly slowHint?: string;
  /** Told of the call once it has ended, however it ended (the model-call log). */
  readonly observe?: ExchangeObserver;
}

/** Asking a server what it serves needs no model loaded: a server silent this long is stuck. */
export const defaultInfoWaitMs = 15_000;

/** The timeouts for a question about models (list, describe), which never waits for a model to load. */
export function infoTimeouts(timeouts: CallTimeouts, infoWaitMs = defaultInfoWaitMs): CallTimeouts {
  return {
    connectMs: Math.min(timeouts.connectMs, infoWaitMs),
    firstTokenMs: Math.min(timeouts.firstTokenMs, infoWaitMs),
    idleMs: Math.min(timeouts.idleMs, infoWaitMs),
    totalMs: Math.min(timeouts.totalMs, 2 * infoWaitMs),
  };
}

/** The slow hint for such a question. */
export const infoSlowHint = 'A model server answers this at once when it is well: check that it is running and not stuck (restart it if need be).';

const agents = new Map<number, Agent>();

/** One connection pool per connect timeout; the other timeouts are ours, so undici's are off. */
function agentFor(connectMs: number): Agent {
  let agent = agents.get(connectMs);
  if (!agent) {
    agent = new Agent({ connect: { timeout: connectMs }, headersTimeout: 0, bodyTimeout: 0 });
    agents.set(connectMs, agent);
  }
  return agent;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

const networkCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
};

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ABORT_ERR') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * POSTs a JSON body and yields the reply's text as it arrives, enforcing the connect, first-token,
 * idle and total timeouts. Every failure is an LlmError with a message a user can act on; nothing
 * waits forever.
 */
export async function* streamText(request: StreamingRequest): AsyncGenerator<string> {
  const { timeouts, url } = request;
  const controller = new AbortController();
  const fail = (error: LlmError) => controller.abort(error);
  const onCancel = () => fail(new LlmError('llm_cancelled', 'The call to the model was cancelled.', { url }));
  if (request.signal?.aborted) throw new LlmError('llm_cancelled', 'The call to the model was cancelled.', { url });
  request.signal?.addEventListener('abort', onCancel, { once: true });

  const firstTokenError = new LlmError(
    'llm_first_token_timeout',
    `${request.serverName} sent nothing for ${seconds(timeouts.firstTokenMs)} after the request. ` +
      (request.slowHint ?? 'The model may still be loading or the machine is too slow for it: raise WFHUB_FIRST_TOKEN_TIMEOUT, or choose a smaller model.'),
    { url },
  );
  let phaseTimer = setTimeout(() => fail(firstTokenError), timeouts.firstTokenMs);
  const totalTimer = setTimeout(
    () =>
      fail(
        new LlmError(
          'llm_call_timeout',
          `The call to ${request.serverName} took longer than ${seconds(timeouts.totalMs)} and was stopped. ${request.slowHint ?? 'Raise WFHUB_LLM_TIMEOUT for long replies.'}`,
          { url },
        ),
      ),
    timeouts.totalMs,
  );

  /** The reason we aborted, when we did; otherwise a translation of what the network said. */
  const translate = (error: unknown, phase: 'connect' | 'read'): LlmError => {
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof LlmError) return reason;
    if (error instanceof LlmError) return error;
    const code = causeCode(error);
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new LlmError(
        'llm_connect_timeout',
        `Could not connect to ${request.serverName} within ${seconds(timeouts.connectMs)}. ${request.unreachableHint}`,
        { url },
        { cause: error },
      );
    }
    if (phase === 'read') {
      return new LlmError(
        'llm_stream_error',
        `${request.serverName} closed the connection before the reply was complete${code ? ` (${networkCodes[code] ?? code})` : ''}. Try again; if it repeats, check the server's log.`,
        { url },
        { cause: error },
      );
    }
    const what = code ? (networkCodes[code] ?? code) : error instanceof Error ? error.message : String(error);
    return new LlmError('llm_unreachable', `Cannot reach ${request.serverName} (${what}). ${request.unreachableHint}`, { url }, { cause: error });
  };

  const post = request.method !== 'GET';
  const requestText = post ? JSON.stringify(request.body) : undefined;
  const startedAt = new Date();
  const started = performance.now();
  const sent = request.observe ? new BodyCapture() : undefined;
  const received = request.observe ? new BodyCapture() : undefined;
  if (requestText !== undefined) sent?.add(requestText);
  let status: number | undefined;
  let firstByteMs: number | undefined;
  let failure: string | undefined;
  try {
    let response;
    try {
      response = await fetch(url, {
        method: post ? 'POST' : 'GET',
        headers: post ? { 'content-type': 'application/json', ...request.headers } : request.headers,
        body: requestText,
        signal: controller.signal,
        dispatcher: agentFor(timeouts.connectMs),
      });
    } catch (error) {
      throw translate(error, 'connect');
    }
    status = response.status;
    if (!response.ok) {
      let body = '';
      try {
        body = await response.text();
        firstByteMs ??= performance.now() - started;
        received?.add(body);
        body = body.slice(0, 4000);
      } catch {
        // The status alone still says what went wrong.
      }
      throw request.httpError(response.status, body, response.headers as unknown as Headers);
    }
    if (!response.body) throw new LlmError('llm_bad_response', `${request.serverName} answered without a body.`, { url });

    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw translate(error, 'read');
      }
      if (chunk.done) break;
      firstByteMs ??= performance.now() - started;
      received?.add(chunk.value);
      clearTimeout(phaseTimer);
      phaseTimer = setTimeout(
        () =>
          fail(
            new LlmError(
              'llm_idle_timeout',
              `${request.serverName} stopped sending in the middle of a reply (nothing for ${seconds(timeouts.idleMs)}). ${request.slowHint ?? 'Raise WFHUB_LLM_IDLE_TIMEOUT if the machine is slow, or check the server.'}`,
              { url },
            ),
          ),
        timeouts.idleMs,
      );
      const text = decoder.decode(chunk.value, { stream: true });
      if (text) yield text;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
    // A stream our timers cut short may still end "cleanly" on some platforms.
    if (controller.signal.aborted && controller.signal.reason instanceof LlmError) throw controller.signal.reason;
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    clearTimeout(phaseTimer);
    clearTimeout(totalTimer);
    request.signal?.removeEventListener('abort', onCancel);
    // Stops the transfer when the consumer returns early; a no-op after a normal end.
    if (!controller.signal.aborted) controller.abort();
    if (request.observe && sent && received) {
      try {
        request.observe({
          method: post ? 'POST' : 'GET',
          url,
          status,
          error: failure,
          startedAt,
          durationMs: performance.now() - started,
          firstByteMs,
          request: sent.captured(),
          response: received.captured(),
        });
      } catch {
        // Recording a call must never break it.
      }
    }
  }
}

/** Splits streamed text into lines (NDJSON), holding back an unfinished last line. */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line.trim() !== '') yield line;
      newline = buffer.indexOf('\n');
    }
  }
  if (buffer.trim() !== '') yield buffer;
}

/** A short GET or POST with the connect and total timeouts, for model lists and model details. */
export async function requestJson(
  url: string,
  options: {
    method?: 'GET' | 'POST';
    body?: unknown;
    headers?: Record<string, string>;
    timeouts: CallTimeouts;
    signal?: AbortSignal;
    serverName: string;
    unreachableHint: string;
    httpError: (status: number, body: string, headers: Headers) => LlmError;
    slowHint?: string;
    observe?: ExchangeObserver;
  },
): Promise<unknown> {
  let text = '';
  for await (const chunk of streamText({
    url,
    method: options.method,
    headers: options.headers ?? {},
    body: options.body,
    timeouts: options.timeouts,
    signal: options.signal,
    serverName: options.serverName,
    unreachableHint: options.unreachableHint,
    httpError: options.httpError,
    slowHint: options.slowHint,
    observe: options.observe,
  })) {
    text += chunk;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LlmError('llm_bad_response', `${options.serverName} answered ${url} with something that is not JSON.`, { url });
  }
}
