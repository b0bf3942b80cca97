import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { label, pagingQuery } from '../../core/schema-helpers.js';
import { projectCreateSchema, projectSchema, projectUpdateSchema } from '../../projects/project.schema.js';
import { taskViewSchema } from '../../director/task-pipeline.schema.js';
import { taskListQuerySchema } from '../../tasks/task.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

export function projectRoutes(app: App, services: Services) {
  const { projects, tasks } = services;
  const route = typed(app);
  const tags = ['projects'];

  route.get('/projects', {
    schema: {
      tags,
      summary: 'List projects',
      querystring: z.object({ name: label(200).optional().describe('Only the project with this name (any case)'), ...pagingQuery }),
      response: { 200: z.array(projectSchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, await projects.list(request.query)),
  });

  route.post('/projects', {
    schema: {
      tags,
      summary: 'Create a project',
      description: 'Creates the workspace folder under the workspaces dir when it is missing.',
      body: projectCreateSchema,
      response: { 201: projectSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.status(201).send(await projects.create(request.body)),
  });

  route.get('/projects/:id', {
    config: { entity: 'project' },
    schema: { tags, summary: 'Get a project', params: idParams, response: { 200: projectSchema, ...errorResponses } },
    handler: async (request) => projects.get(Number(request.params.id)),
  });

  route.patch('/projects/:id', {
    config: { entity: 'project' },
    schema: {
      tags,
      summary: 'Update a project',
      params: idParams,
      body: projectUpdateSchema,
      response: { 200: projectSchema, ...errorResponses },
    },
    handler: async (request) => projects.update(Number(request.params.id), request.body),
  });

  route.delete('/projects/:id', {
    config: { entity: 'project' },
    schema: {
      tags,
      summary: 'Delete a project and its tasks',
      description: 'The workspace folder and its files are left untouched.',
      params: idParams,
      response: { 204: z.null(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await projects.delete(Number(request.params.id));
      return reply.status(204).send(null);
    },
  });

  route.get('/projects/:id/tasks', {
    config: { entity: 'project' },
    schema: {
      tags: ['tasks'],
      summary: "List a project's tasks",
      params: idParams,
      querystring: taskListQuerySchema,
      response: { 200: z.array(taskViewSchema), ...errorResponses },
    },
    handler: async (request, reply) => {
      const page = await tasks.listForProject(Number(request.params.id), request.query);
      return sendPage(reply, { items: await services.taskPipelines.views(page.items), total: page.total });
    },
  });
}
