import { once } from 'node:events';
import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { pagingQuery } from '../../core/schema-helpers.js';
import { followRun } from '../../runs/run-follower.js';
import { runEventSchema, runSchema, runTriggerSchema } from '../../runs/run.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

export function runRoutes(app: App, services: Services) {
  const route = typed(app);
  const { scheduler, runs } = services;
  // Streams and waits follow a run until it ends; a closing server ends them instead.
  const closing = new AbortController();
  app.addHook('preClose', async () => closing.abort());

  route.post('/tasks/:id/trigger', {
    config: { entity: 'task' },
    schema: {
      tags: ['runs'],
      summary: "Run the agent on a task: 202 with the queued run, or with ?wait=true the run once it has ended",
      description:
        'The run works in the project\'s workspace with the task\'s role (or `node`), and records every event. ' +
        'The task goes to in_progress, then review when the run succeeds, failed when it fails, todo when it is cancelled; ' +
        'a comment on the task sums the run up. A task has at most one queued or running run (409 otherwise).',
      params: idParams,
      querystring: z.object({ wait: z.enum(['true', 'false', '1', '0']).optional().describe('true: answer when the run has ended') }),
      body: runTriggerSchema.nullish(),
      response: { 200: runSchema, 202: runSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const run = await scheduler.trigger(Number(request.params.id), request.body ?? {});
      if (request.query.wait !== 'true' && request.query.wait !== '1') return reply.status(202).send(run);
      const controller = new AbortController();
      reply.raw.once('close', () => controller.abort());
      return reply.status(200).send(await scheduler.waitFor(run.id, AbortSignal.any([controller.signal, closing.signal])));
    },
  });

  route.get('/tasks/:id/runs', {
    config: { entity: 'task' },
    schema: {
      tags: ['runs'],
      summary: "A task's runs, newest first",
      params: idParams,
      querystring: z.object(pagingQuery),
      response: { 200: z.array(runSchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, await runs.listForTask(Number(request.params.id), request.query)),
  });

  route.get('/runs/:id', {
    config: { entity: 'run' },
    schema: { tags: ['runs'], summary: 'A run: status, usage, summary, files changed, error', params: idParams, response: { 200: runSchema, ...errorResponses } },
    handler: async (request) => runs.get(Number(request.params.id)),
  });

  route.get('/runs/:id/events', {
    config: { entity: 'run' },
    schema: {
      tags: ['runs'],
      summary: "A run's recorded events in order (its transcript), paged by sequence number",
      params: idParams,
      querystring: z.object({
        after: z.coerce.number().int().min(0).max(2_147_483_647).default(0).describe('Only events after this sequence number'),
        limit: pagingQuery.limit,
      }),
      response: { 200: z.array(runEventSchema), ...errorResponses },
    },
    handler: async (request, reply) =>
      sendPage(reply, await runs.events(Number(request.params.id), { afterSeq: request.query.after, limit: request.query.limit })),
  });

  route.post('/runs/:id/cancel', {
    config: { entity: 'run' },
    schema: {
      tags: ['runs'],
      summary: 'Cancel a queued or running run; the task goes back to todo',
      params: idParams,
      response: { 200: runSchema, ...errorResponses },
    },
    handler: async (request) => scheduler.cancel(Number(request.params.id)),
  });

  route.get('/runs/:id/diff', {
    config: { entity: 'run' },
    schema: {
      tags: ['runs'],
      summary: 'The changes a run made to its workspace, as a unified diff (text)',
      params: idParams,
      response: { 200: z.string(), ...errorResponses },
    },
    handler: async (request, reply) => reply.type('text/x-diff; charset=utf-8').send(await runs.diff(Number(request.params.id))),
  });

  route.post('/runs/:id/undo', {
    config: { entity: 'run' },
    schema: {
      tags: ['runs'],
      summary: 'Put the workspace back as it was before an ended run (its commit undone, your uncommitted work kept)',
      params: idParams,
      response: { 200: runSchema, ...errorResponses },
    },
    handler: async (request) => scheduler.undo(Number(request.params.id)),
  });

  route.get('/runs/:id/stream', {
    config: { entity: 'run' },
    schema: {
      tags: ['runs'],
      summary: "A run's events as Server-Sent Events: the recorded ones first, then the new ones as they happen",
      description:
        'Each event is `id: <seq>`, `event: <type>`, `data: <the event as JSON>`; the stream ends with an `end` event holding the run. ' +
        'Reconnecting with `Last-Event-ID` (or `?after=`) continues after that event, with no gap and no duplicate.',
      params: idParams,
      querystring: z.object({ after: z.coerce.number().int().min(0).max(2_147_483_647).optional() }),
      response: { ...errorResponses },
    },
    handler: async (request, reply) => {
      const runId = Number(request.params.id);
      await runs.get(runId);
      const lastEventId = Number(request.headers['last-event-id']);
      const after = request.query.after ?? (Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0);
      const controller = new AbortController();
      reply.raw.once('close', () => controller.abort());
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      const signal = AbortSignal.any([controller.signal, closing.signal]);
      try {
        for await (const item of followRun(runs, services.feed, runId, { after, signal })) {
          const text =
            item.type === 'event'
              ? `id: ${item.event.seq}\nevent: ${item.event.type}\ndata: ${JSON.stringify(item.event)}\n\n`
              : item.type === 'end'
                ? `event: end\ndata: ${JSON.stringify(item.run)}\n\n`
                : // A comment line now and then keeps proxies from closing a quiet stream.
                  ': still running\n\n';
          // A slow client is waited for, not buffered without end.
          if (!reply.raw.write(text)) await once(reply.raw, 'drain', { signal });
        }
      } catch (error) {
        if (!signal.aborted) request.log.error({ err: error }, 'run stream failed');
      } finally {
        reply.raw.end();
      }
    },
  });
}
