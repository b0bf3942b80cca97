import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { taskViewSchema as taskSchema } from '../../director/task-pipeline.schema.js';
import { taskCreateSchema, taskUpdateSchema } from '../../tasks/task.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function taskRoutes(app: App, services: Services) {
  const { tasks, taskPipelines } = services;
  const route = typed(app);
  const tags = ['tasks'];
  const config = { entity: 'task' };

  route.post('/tasks', {
    schema: {
      tags,
      summary: 'Create a task (or a subtask, with parent_id)',
      body: taskCreateSchema,
      response: { 201: taskSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.status(201).send(await taskPipelines.view(await tasks.create(request.body))),
  });

  route.get('/tasks/:id', {
    config,
    schema: { tags, summary: 'Get a task', params: idParams, response: { 200: taskSchema, ...errorResponses } },
    handler: async (request) => taskPipelines.view(await tasks.get(Number(request.params.id))),
  });

  route.patch('/tasks/:id', {
    config,
    schema: {
      tags,
      summary: 'Update a task',
      params: idParams,
      body: taskUpdateSchema,
      response: { 200: taskSchema, ...errorResponses },
    },
    handler: async (request) => taskPipelines.view(await tasks.update(Number(request.params.id), request.body)),
  });

  route.delete('/tasks/:id', {
    config,
    schema: {
      tags,
      summary: 'Delete a task with its subtasks, comments, criteria and attachments',
      params: idParams,
      response: { 204: z.null(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await tasks.delete(Number(request.params.id));
      return reply.status(204).send(null);
    },
  });
}
