import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { gitLogEntrySchema, gitStatusSchema } from '../../workspace/git.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function projectGitRoutes(app: App, services: Services) {
  const route = typed(app);
  route.get('/projects/:id/git/status', {
    schema: { tags: ['projects'], summary: "The workspace's branch, HEAD and uncommitted changes", params: idParams, response: { 200: gitStatusSchema, ...errorResponses } },
    handler: async (request) => services.projectGit.status(Number(request.params.id)),
  });
  route.get('/projects/:id/git/log', {
    schema: {
      tags: ['projects'],
      summary: "The workspace's recent commits, newest first",
      params: idParams,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }),
      response: { 200: z.array(gitLogEntrySchema), ...errorResponses },
    },
    handler: async (request) => services.projectGit.log(Number(request.params.id), request.query.limit),
  });
  route.get('/projects/:id/git/diff', {
    schema: { tags: ['projects'], summary: "The workspace's uncommitted changes to tracked files, as a unified diff", params: idParams, response: { 200: z.string(), ...errorResponses } },
    handler: async (request, reply) => reply.type('text/x-diff; charset=utf-8').send(await services.projectGit.diff(Number(request.params.id))),
  });
}
