import type { Services } from '../../app/services.js';
import { pipelineSchema, pipelineUpdateSchema } from '../../director/pipeline.schema.js';
import { overrideSchema, taskPipelineSchema, taskViewSchema } from '../../director/task-pipeline.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function pipelineRoutes(app: App, services: Services) {
  const { pipelines, taskPipelines, director, tasks } = services;
  const route = typed(app);
  const tags = ['pipelines'];

  route.get('/projects/:id/pipeline', {
    config: { entity: 'project' },
    schema: {
      tags,
      summary: "The project's pipeline: the roles its tasks on autopilot go through, in order",
      params: idParams,
      response: { 200: pipelineSchema, ...errorResponses },
    },
    handler: async (request) => pipelines.get(Number(request.params.id)),
  });

  route.put('/projects/:id/pipeline', {
    config: { entity: 'project' },
    schema: {
      tags,
      summary: "Sets the project's pipeline (tasks already on their way keep theirs)",
      params: idParams,
      body: pipelineUpdateSchema,
      response: { 200: pipelineSchema, ...errorResponses },
    },
    handler: async (request) => pipelines.put(Number(request.params.id), request.body),
  });

  route.get('/tasks/:id/pipeline', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: 'Where the task is in its pipeline: the stage, the attempt, the last failed gate; null before autopilot took it',
      params: idParams,
      response: { 200: taskPipelineSchema.nullable(), ...errorResponses },
    },
    handler: async (request) => taskPipelines.get(Number(request.params.id)),
  });

  route.post('/tasks/:id/override', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: 'Marks the task done although its gates did not pass, recording who decided and why',
      params: idParams,
      body: overrideSchema,
      response: { 200: taskViewSchema, ...errorResponses },
    },
    handler: async (request) => {
      const id = Number(request.params.id);
      await director.override(id, request.body);
      return taskPipelines.view(await tasks.get(id));
    },
  });
}
