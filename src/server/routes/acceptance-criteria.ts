import { z } from 'zod';
import type { Services } from '../../app/services.js';
import {
  criterionCreateSchema,
  criterionSchema,
  criterionUpdateSchema,
} from '../../acceptance-criteria/criterion.schema.js';
import { pagingQuery } from '../../core/schema-helpers.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

export function criterionRoutes(app: App, services: Services) {
  const { criteria } = services;
  const route = typed(app);
  const tags = ['acceptance criteria'];

  route.get('/tasks/:id/acceptance-criteria', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: "List a task's acceptance criteria, in order",
      params: idParams,
      querystring: z.object(pagingQuery),
      response: { 200: z.array(criterionSchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, await criteria.list(Number(request.params.id), request.query)),
  });

  route.post('/tasks/:id/acceptance-criteria', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: 'Add an acceptance criterion',
      params: idParams,
      body: criterionCreateSchema,
      response: { 201: criterionSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.status(201).send(await criteria.create(Number(request.params.id), request.body)),
  });

  route.patch('/acceptance-criteria/:id', {
    config: { entity: 'acceptance criterion' },
    schema: {
      tags,
      summary: 'Edit an acceptance criterion or mark it done',
      params: idParams,
      body: criterionUpdateSchema,
      response: { 200: criterionSchema, ...errorResponses },
    },
    handler: async (request) => criteria.update(Number(request.params.id), request.body),
  });

  route.delete('/acceptance-criteria/:id', {
    config: { entity: 'acceptance criterion' },
    schema: { tags, summary: 'Delete an acceptance criterion', params: idParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await criteria.delete(Number(request.params.id));
      return reply.status(204).send(null);
    },
  });
}
