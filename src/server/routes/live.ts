import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { maxId } from '../../core/schema-helpers.js';
import { followRun } from '../../runs/run-follower.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { LiveChanges, type LiveMessage } from '../live-changes.js';
import { typed, type App } from '../route-helpers.js';
import { keepAlive, send, upgradeRequired } from '../socket-send.js';
import { webSocketTokenNote } from '../websocket-upgrades.js';

const sequence = z.coerce.number().int().min(0).max(2_147_483_647);

/** WebSocket streams: one run's transcript as it happens, and every change for the board. */
export function liveRoutes(app: App, services: Services) {
  const route = typed(app);
  const { runs, feed } = services;
  const live = new LiveChanges(services);
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  route.route({
    method: 'GET',
    url: '/ws/runs/:id',
    config: { entity: 'run' },
    schema: {
      tags: ['runs'],
      summary: "WebSocket: a run's recorded events, then its live ones, then its end",
      description:
        'Each message is JSON: `{"type": "event", "event": {seq, type, at, data}}` for every event in order, then ' +
        '`{"type": "end", "run": {...}}`, after which the server closes the socket (1000). ' +
        '`?after=<seq>` resumes after that event, with no gap and no duplicate. Over plain HTTP this answers 426.' + webSocketTokenNote,
      params: idParams,
      querystring: z.object({ after: sequence.optional().describe('Only events after this sequence number') }),
      response: { 426: errorResponses[400], ...errorResponses },
    },
    // Checked before the upgrade, so an unknown run is a plain 404.
    preHandler: async (request) => {
      await runs.get(Number(request.params.id));
    },
    handler: async (_request, reply) => reply.status(426).header('upgrade', 'websocket').send(upgradeRequired('/ws/runs/{id}')),
    wsHandler: (socket, request) => {
      const runId = Number(request.params.id);
      const controller = new AbortController();
      const stopPinging = keepAlive(socket);
      const stop = () => controller.abort();
      socket.on('close', stop);
      closing.signal.addEventListener('abort', stop, { once: true });
      // Messages from the client are not part of this stream; they are read and dropped.
      socket.on('message', () => undefined);
      void (async () => {
        try {
          for await (const item of followRun(runs, feed, runId, { after: request.query.after ?? 0, signal: AbortSignal.any([controller.signal, closing.signal]) })) {
            if (item.type === 'idle') continue;
            if (!send(socket, item)) return;
            if (item.type === 'end') socket.close(1000, 'the run has ended');
          }
          if (closing.signal.aborted && socket.readyState === socket.OPEN) socket.close(1001, 'the server is stopping');
        } catch (error) {
          request.log.error({ err: error }, 'run socket failed');
          if (socket.readyState === socket.OPEN) socket.close(1011, 'the stream failed: reconnect with ?after= the last seq');
        } finally {
          stopPinging();
          closing.signal.removeEventListener('abort', stop);
        }
      })();
    },
  });

  route.route({
    method: 'GET',
    url: '/ws/events',
    schema: {
      tags: ['runs'],
      summary: 'WebSocket: every change to projects, tasks, comments and runs, as it happens (for the board)',
      description:
        'First `{"type": "ready"}`: changes from then on are all sent, so read the current state after it. Then one JSON message per ' +
        'change: `project.created|updated` {project}, `project.deleted` {id}, `task.created|updated` {task}, `task.deleted` {id, project_id}, ' +
        '`comment.created|updated` {comment}, `comment.deleted` {id, task_id}, `run.created|updated` {run}. ' +
        '`?project_id=` keeps one project\'s changes only. Over plain HTTP this answers 426.' + webSocketTokenNote,
      querystring: z.object({ project_id: z.coerce.number().int().min(1).max(maxId).optional().describe("Only this project's changes") }),
      response: { 426: errorResponses[400], ...errorResponses },
    },
    preHandler: async (request) => {
      if (request.query.project_id !== undefined) await services.projects.get(request.query.project_id);
    },
    handler: async (_request, reply) => reply.status(426).header('upgrade', 'websocket').send(upgradeRequired('/ws/events')),
    wsHandler: (socket, request) => {
      const stopPinging = keepAlive(socket);
      const remove = live.add({ projectId: request.query.project_id, send: (message: LiveMessage) => send(socket, message) });
      const end = () => {
        remove();
        stopPinging();
        closing.signal.removeEventListener('abort', close);
      };
      const close = () => socket.readyState === socket.OPEN && socket.close(1001, 'the server is stopping');
      closing.signal.addEventListener('abort', close, { once: true });
      socket.on('close', end);
      socket.on('message', () => undefined);
      send(socket, { type: 'ready' });
    },
  });
}
