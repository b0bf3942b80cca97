import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { pagingQuery } from '../../core/schema-helpers.js';
import { runEventSchema, runSchema, runTriggerSchema } from '../../runs/run.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

export function runRoutes(app: App, services: Services) {
  const route = typed(app);
  const { scheduler, runs } = services;

  route.post('/tasks/:id/trigger', {
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
      return reply.status(200).send(await scheduler.waitFor(run.id, controller.signal));
    },
  });

  route.get('/tasks/:id/runs', {
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
    schema: { tags: ['runs'], summary: 'A run: status, usage, summary, files changed, error', params: idParams, response: { 200: runSchema, ...errorResponses } },
    handler: async (request) => runs.get(Number(request.params.id)),
  });

  route.get('/runs/:id/events', {
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
    schema: {
      tags: ['runs'],
      summary: 'Cancel a queued or running run; the task goes back to todo',
      params: idParams,
      response: { 200: runSchema, ...errorResponses },
    },
    handler: async (request) => scheduler.cancel(Number(request.params.id)),
  });
}
