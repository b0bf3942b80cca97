import { Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Agent, request as upstreamRequest } from 'undici';
import { LlmError } from '../../agent/llm/llm-error.js';
import type { Services } from '../../app/services.js';
import { redactUrl } from '../../db/open-database.js';
import { errorBody } from '../http-schemas.js';
import { BodyCapture } from '../../core/http-exchange.js';
import type { App } from '../route-helpers.js';

/** Headers that belong to one connection, never passed on (RFC 9110 §7.6.1), and the length undici sets itself. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/** Answered here already (Node sent the 100 Continue), and refused by undici if passed on. */
const notPassedOn = new Set(['expect', 'sec-websocket-protocol']);

/** The largest request the proxy passes on: a chat with a few images in it. */
const maxRequestBytes = 64 * 1024 * 1024;

// HEAD is answered by Fastify through GET (its body dropped).
const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * `/ollama/*`: the model server, passed through unchanged (a streamed answer streams), each call
 * recorded in the model-call log like the agent's own. Point any Ollama client at
 * `http://127.0.0.1:8002/ollama` to have its traffic logged and counted in /usage.
 */
export async function ollamaProxyRoutes(app: App, services: Services) {
  const { config, modelCalls } = services;
  const upstream = config.ollamaHost.replace(/\/+$/, '');
  const shownUpstream = redactUrl(upstream);
  // Only connecting is bounded: how long an answer may take is the client's to say, as with Ollama itself.
  const dispatcher = new Agent({ connect: { timeout: config.connectTimeout * 1000 }, headersTimeout: 0, bodyTimeout: 0 });
  // Calls in flight end when the server stops: a client streaming for an hour must not hold it up.
  const inFlight = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const controller of inFlight) controller.abort(new Error('wfhub is stopping'));
  });
  app.addHook('onClose', async () => dispatcher.destroy());

  await app.register(async (scope) => {
    // Bodies go through as bytes, whatever they are: the proxy reads nothing it passes on.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxRequestBytes }, (_request, body, done) => done(null, body));

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const prefix = '/ollama';
      const rest = request.url.slice(prefix.length) || '/';
      const target = `${upstream}${rest.startsWith('/') ? rest : `/${rest}`}`;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value === undefined || hopByHop.has(name)) continue;
        // wfhub's own token is for wfhub, not for the model server.
        if (name === 'authorization' && config.token !== undefined) continue;
        if (notPassedOn.has(name)) continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const body = Buffer.isBuffer(request.body) ? request.body : undefined;
      const sent = new BodyCapture();
      if (body) sent.add(body);
      const received = new BodyCapture();
      const startedAt = new Date();
      const started = performance.now();
      let firstByteMs: number | undefined;
      let recorded = false;
      const record = (status: number | undefined, error?: string) => {
        if (recorded) return;
        recorded = true;
        void modelCalls.record(
          { method: request.method, url: target, status, error, startedAt, durationMs: performance.now() - started, firstByteMs, request: sent.captured(), response: received.captured() },
          'proxy',
        );
      };

      // The client going away stops the call to the model server (Ollama stops generating).
      const controller = new AbortController();
      inFlight.add(controller);
      reply.raw.on('close', () => {
        inFlight.delete(controller);
        if (!reply.raw.writableFinished) controller.abort();
      });

      let answer;
      try {
        answer = await upstreamRequest(target, { method: request.method as (typeof methods)[number], headers, body, signal: controller.signal, dispatcher });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        record(undefined, message);
        if (controller.signal.aborted) return reply.code(503).send(errorBody('shutting_down', 'wfhub is stopping: try again once it is back.'));
        throw new LlmError(
          'llm_unreachable',
          `wfhub could not reach Ollama at ${shownUpstream} (${message}). Is Ollama running? Start it with \`ollama serve\`, or set OLLAMA_HOST to where it listens.`,
          { url: shownUpstream },
        );
      }
      const status = answer.statusCode;
      reply.status(status);
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value === undefined || (hopByHop.has(name) && name !== 'content-length')) continue;
        reply.header(name, value);
      }
      const tee = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          firstByteMs ??= performance.now() - started;
          received.add(chunk);
          callback(null, chunk);
        },
        flush(callback) {
          record(status, status >= 400 ? `Ollama answered ${status}` : undefined);
          callback();
        },
      });
      tee.on('close', () => record(status, 'the answer was cut short (the client or Ollama closed the connection)'));
      answer.body.on('error', (error) => tee.destroy(error));
      return reply.send(answer.body.pipe(tee));
    };

    for (const url of ['/ollama', '/ollama/*']) {
      scope.route({
        method: [...methods],
        url,
        schema: {
          tags: ['ollama'],
          summary: 'The model server (OLLAMA_HOST), passed through unchanged, each call recorded',
          description:
            'Any Ollama API call: `/ollama/api/chat`, `/ollama/api/generate`, `/ollama/api/tags`, `/ollama/v1/chat/completions`… ' +
            'Requests and answers pass through byte for byte (streamed answers stream); each call is recorded with its method, path, ' +
            'model, status, duration, prompt and completion tokens and a capped copy of both bodies: see `GET /model-calls`, ' +
            '`GET /logs/ollama_http` and `GET /usage`. With WFHUB_TOKEN set, send it as `Authorization: Bearer` (it is not passed on). ' +
            'When Ollama cannot be reached: 502 in the error shape.',
        },
        handler,
      });
    }
  });
}
