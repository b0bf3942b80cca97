import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { nodeCreateSchema, nodeSchema, nodeUpdateSchema } from '../../nodes/node.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function nodeRoutes(app: App, services: Services) {
  typed(app).get('/nodes', {
    schema: {
      tags: ['nodes'],
      summary: 'List the roles a task can have (pm, dev, qa, security, documentation, ...)',
      response: { 200: z.array(nodeSchema), ...errorResponses },
    },
    handler: async () => services.nodes.list(),
  });

  typed(app).post('/nodes', {
    schema: {
      tags: ['nodes'],
      summary: 'Add a role of your own (a name, a directive, optionally a model and run limits)',
      body: nodeCreateSchema,
      response: { 201: nodeSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await services.nodes.create(request.body)),
  });

  typed(app).get('/nodes/:id', {
    config: { entity: 'node' },
    schema: { tags: ['nodes'], summary: 'A role, with its directive, model and run limits', params: idParams, response: { 200: nodeSchema, ...errorResponses } },
    handler: async (request) => services.nodes.get(Number(request.params.id)),
  });

  typed(app).delete('/nodes/:id', {
    config: { entity: 'node' },
    schema: {
      tags: ['nodes'],
      summary: 'Delete a role of your own that no task has and no queued or running run uses (the built-in roles are changed, not deleted)',
      params: idParams,
      response: { 204: z.null(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await services.nodes.delete(Number(request.params.id));
      return reply.code(204).send(null);
    },
  });

  typed(app).patch('/nodes/:id', {
    config: { entity: 'node' },
    schema: {
      tags: ['nodes'],
      summary: "Change a role's directive or model",
      params: idParams,
      body: nodeUpdateSchema,
      response: { 200: nodeSchema, ...errorResponses },
    },
    handler: async (request) => services.nodes.update(Number(request.params.id), request.body),
  });
}
