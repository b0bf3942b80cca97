import { PassThrough } from 'node:stream';
import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { idSchema } from '../../core/schema-helpers.js';
import {
  credentialCreateSchema,
  credentialSchema,
  externalProjectSchema,
  externalTaskSchema,
  importBodySchema,
  importQuerySchema,
  importResultSchema,
  mappingCreateSchema,
  mappingSchema,
  taskLinkSchema,
  trackerInfoSchema,
  type ImportEvent,
} from '../../integrations/integration.schema.js';
import { TrackerError } from '../../integrations/tracker-error.js';
import { trackerInfo } from '../../integrations/trackers.js';
import { AppError } from '../../core/errors.js';
import { errorResponses, errorSchema, idParams } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

/** What a tracker's failure may answer besides the usual errors. */
const trackerResponses = { ...errorResponses, 429: errorSchema, 502: errorSchema };

export function integrationRoutes(app: App, services: Services) {
  const { credentials, mappings, trackerImport, trackerSync } = services;
  const route = typed(app);
  const tags = ['integrations'];

  route.get('/integrations/providers', {
    schema: { tags, summary: 'The trackers wfhub imports from and syncs back to, and what each needs', response: { 200: z.array(trackerInfoSchema) } },
    handler: async () => [...trackerInfo],
  });

  route.get('/integrations/credentials', {
    schema: { tags, summary: 'The tracker credentials kept (never their tokens)', response: { 200: z.array(credentialSchema) } },
    handler: async () => credentials.list(),
  });

  route.post('/integrations/credentials', {
    schema: {
      tags,
      summary: 'Keep a tracker credential, once the tracker accepts it',
      description:
        'The token is checked with the tracker first (a refused one answers 422 tracker_unauthorized), then kept encrypted; no answer ever contains it. ' +
        'A token for an account already kept at the same base URL renews that credential (200) instead of adding another (201).',
      body: credentialCreateSchema,
      response: { 200: credentialSchema, 201: credentialSchema, ...trackerResponses },
    },
    handler: async (request, reply) => {
      const { credential, created } = await credentials.create(request.body);
      return reply.status(created ? 201 : 200).send(credential);
    },
  });

  route.delete('/integrations/credentials/:id', {
    config: { entity: 'credential' },
    schema: { tags, summary: 'Forget a credential and its project mappings (imported tasks stay, unlinked)', params: idParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await credentials.delete(Number(request.params.id));
      return reply.status(204).send(null);
    },
  });

  route.get('/integrations/credentials/:id/projects', {
    config: { entity: 'credential' },
    schema: {
      tags,
      summary: "The tracker's projects the credential sees: Asana projects, Jira projects, Linear teams, GitHub repositories (owner/name)",
      params: idParams,
      response: { 200: z.array(externalProjectSchema), ...trackerResponses },
    },
    handler: async (request) => credentials.projects(Number(request.params.id)),
  });

  route.post('/integrations/project-mapping', {
    schema: {
      tags,
      summary: "Import a tracker's project into a wfhub project",
      description: 'Mapping the same pair again answers the mapping there is.',
      body: mappingCreateSchema,
      response: { 200: mappingSchema, ...trackerResponses },
    },
    handler: async (request) => mappings.create(request.body),
  });

  route.get('/integrations/mappings', {
    schema: {
      tags,
      summary: 'The project mappings, each with how many tasks it linked',
      querystring: z.object({ project_id: z.coerce.number().pipe(idSchema).optional().describe('Only those into this wfhub project') }),
      response: { 200: z.array(mappingSchema), ...errorResponses },
    },
    handler: async (request) => mappings.list({ project_id: request.query.project_id }),
  });

  route.delete('/integrations/project-mapping/:id', {
    config: { entity: 'mapping' },
    schema: { tags, summary: 'Forget a mapping (its tasks stay, unlinked)', params: idParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await mappings.delete(Number(request.params.id));
      return reply.status(204).send(null);
    },
  });

  route.get('/integrations/:id/tasks', {
    config: { entity: 'mapping' },
    schema: {
      tags,
      summary: "The tracker project's tasks, each saying whether it is imported (every page, up to 10,000)",
      params: idParams,
      response: { 200: z.array(externalTaskSchema), ...trackerResponses },
    },
    handler: async (request) => mappings.externalTasks(Number(request.params.id)),
  });

  route.post('/integrations/import', {
    schema: {
      tags,
      summary: "Import the tracker's tasks (all, or those named) with their subtasks, comments and attachments' links",
      description:
        'A task imported before is updated (only what changed on the tracker since), never copied. ' +
        'With stream=true, answers application/x-ndjson: import.progress lines as tasks are read, the last one import.finished with the counts (or error).',
      body: importBodySchema,
      querystring: importQuerySchema,
      response: { 200: importResultSchema, ...trackerResponses },
    },
    handler: async (request, reply) => {
      // A client that goes away (a wizard closed, Ctrl-C on `wfhub import`) stops following
      // the import, not the import: it goes on to the end here.
      const streaming = request.query.stream === 'true' || request.query.stream === '1';
      if (!streaming) return trackerImport.run(request.body);
      // Checked first, so an unknown mapping is a 404 even when streaming.
      await mappings.get(request.body.mapping_id);
      const stream = new PassThrough();
      const send = (event: ImportEvent) => stream.write(`${JSON.stringify(event)}\n`);
      void trackerImport
        .run(request.body, send)
        .catch((error: unknown) => {
          if (error instanceof TrackerError || error instanceof AppError) return send({ type: 'error', error: { code: error.code, message: error.message } });
          request.log.error({ err: error }, 'import failed');
          send({ type: 'error', error: { code: 'internal_error', message: 'The import failed unexpectedly; what was imported stays. The server log has the details.' } });
        })
        .finally(() => stream.end());
      return reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-cache').send(stream as never);
    },
  });

  route.get('/tasks/:id/tracker', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: 'Where the task was imported from, and whether its changes reached the tracker',
      description: 'null when the task was not imported from a tracker.',
      params: idParams,
      response: { 200: taskLinkSchema.nullable(), ...errorResponses },
    },
    handler: async (request) => trackerSync.linkOf(Number(request.params.id)),
  });

  route.post('/tasks/:id/tracker/sync', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: "Push the task's status and comments to its tracker now, without waiting for the next retry",
      description: 'Answers how the sync stands after the attempt: a failure is in sync.error, not an error status.',
      params: idParams,
      response: { 200: taskLinkSchema, ...errorResponses },
    },
    handler: async (request) => trackerSync.syncNow(Number(request.params.id)),
  });
}
