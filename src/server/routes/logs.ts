import { z } from 'zod';
import type { Services } from '../../app/services.js';
import type { WebSocket } from 'ws';
import { logChannels, logEntrySchema, type LogChannel, type LogSocketMessage } from '../../logs/log.schema.js';
import { RunLog } from '../../runs/run-log.js';
import { errorResponses } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';
import { keepAlive, send, upgradeRequired } from '../socket-send.js';
import { webSocketTokenNote } from '../websocket-upgrades.js';

/** Sequence numbers start from the server's start time in microseconds: larger than a run event's. */
const sequence = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The web UI's Logs panel: the latest server lines, model-server calls and run lifecycle, polled or live, all together or one source. */
export function logRoutes(app: App, services: Services) {
  const route = typed(app);
  const { logs } = services;
  // The runs channel tells what the change feed says of runs, from the moment the server is up.
  const runLog = new RunLog(services.runs, services.feed, logs);
  app.addHook('onReady', async () => runLog.start());
  const closing = new AbortController();
  app.addHook('preClose', async () => {
    runLog.stop();
    closing.abort();
  });

  const pageQuery = {
    after: sequence.default(0).describe('Only entries after this sequence number'),
    limit: z.coerce.number().int().min(1).max(5000).default(1000).describe('At most this many entries, the oldest first (1-5000, default 1000)'),
  };
  const pollingNote =
    'Each channel keeps its last 1000 entries, in memory only (the calls to the model server are also kept in the database: `GET /model-calls`). ' +
    'Call again with `after=<the last seq>`: nothing is missed or repeated. `X-Total-Count` is how many entries there are after ' +
    '`after`; when it is more than were sent, `limit` left some for the next call.';

  route.get('/logs', {
    // Polled every few seconds while the socket is down: its own request lines would push the
    // server's real ones out of the feed. Its warnings and errors are still logged.
    logLevel: 'warn',
    schema: {
      tags: ['logs'],
      summary: 'The latest log entries (server, ollama_http, runs), oldest first, after a sequence number',
      description: 'What `/ws/logs` sends, for polling while the socket is down. ' + pollingNote,
      querystring: z.object({
        channel: z.enum(logChannels).optional().describe('One channel only (server, ollama_http, runs); every channel, merged by seq, without it'),
        ...pageQuery,
      }),
      response: { 200: z.array(logEntrySchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, logs.after(request.query.after, { channel: request.query.channel, limit: request.query.limit })),
  });

  route.get('/logs/:source', {
    logLevel: 'warn',
    schema: {
      tags: ['logs'],
      summary: "One source's latest log entries, oldest first, after a sequence number",
      description:
        '`server`: what the server logs (requests, warnings, errors); `ollama_http`: each call to the model server, the agent\'s and the ' +
        '`/ollama` proxy\'s (`data.call_id` names its record in `GET /model-calls/{id}`); `runs`: runs queued, started and ended, and their ' +
        'tool calls. ' + pollingNote,
      params: z.object({ source: z.enum(logChannels).describe('server, ollama_http or runs') }),
      querystring: z.object(pageQuery),
      response: { 200: z.array(logEntrySchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, logs.after(request.query.after, { channel: request.params.source, limit: request.query.limit })),
  });

  /** The socket of every channel, or of one: the backlog after `after`, `ready`, then each new entry. */
  const stream = (socket: WebSocket, after: number, channel?: LogChannel) => {
    const stopPinging = keepAlive(socket);
    let unsubscribe = () => {};
    const close = () => socket.readyState === socket.OPEN && socket.close(1001, 'the server is stopping');
    closing.signal.addEventListener('abort', close, { once: true });
    socket.on('close', () => {
      unsubscribe();
      stopPinging();
      closing.signal.removeEventListener('abort', close);
    });
    // Messages from the client are not part of this stream; they are read and dropped.
    socket.on('message', () => undefined);
    const tell = (message: LogSocketMessage) => send(socket, message);
    // The backlog, `ready` and the subscription happen in one go: the feed tells its listeners
    // as it writes, so no entry can be written in between (no gap, no duplicate).
    for (const entry of logs.after(after, { channel }).items) if (!tell({ type: 'entry', entry })) return;
    if (!tell({ type: 'ready' })) return;
    unsubscribe = logs.subscribe((entry) => void ((channel === undefined || entry.channel === channel) && tell({ type: 'entry', entry })));
  };
  const socketDescription =
    'In this order: `{"type": "entry", "entry": {seq, channel, at, level, message, data?}}` for each buffered entry after ' +
    '`?after=` (oldest first), then `{"type": "ready"}` (caught up), then `{"type": "entry", ...}` for each new ' +
    'entry as it is written. Reconnecting with ' +
    '`?after=<the last seq received>` continues with no gap and no duplicate, across restarts of the server too. ' +
    'Closes with 1001 when the server stops and 1013 when the client falls too far behind (reconnect with `after`). ' +
    'Over plain HTTP this answers 426.' + webSocketTokenNote;

  route.route({
    method: 'GET',
    url: '/ws/logs',
    schema: {
      tags: ['logs'],
      summary: 'WebSocket: the buffered log entries of every channel, then each new one as it is written',
      description: socketDescription + ' `channel` is server, ollama_http or runs, so one socket serves every tab.',
      querystring: z.object({ after: sequence.optional().describe('Only entries after this sequence number') }),
      response: { 426: errorResponses[400], ...errorResponses },
    },
    handler: async (_request, reply) => reply.status(426).header('upgrade', 'websocket').send(upgradeRequired('/ws/logs')),
    wsHandler: (socket, request) => stream(socket, request.query.after ?? 0),
  });

  route.route({
    method: 'GET',
    url: '/ws/logs/:source',
    schema: {
      tags: ['logs'],
      summary: "WebSocket: one source's buffered log entries, then each new one as it is written",
      description: socketDescription,
      params: z.object({ source: z.enum(logChannels).describe('server, ollama_http or runs') }),
      querystring: z.object({ after: sequence.optional().describe('Only entries after this sequence number') }),
      response: { 426: errorResponses[400], ...errorResponses },
    },
    handler: async (request, reply) => reply.status(426).header('upgrade', 'websocket').send(upgradeRequired(`/ws/logs/${request.params.source}`)),
    wsHandler: (socket, request) => stream(socket, request.query.after ?? 0, request.params.source),
  });
}
