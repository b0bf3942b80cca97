import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { commentCreateSchema, commentSchema, commentUpdateSchema } from '../../comments/comment.schema.js';
import { pagingQuery } from '../../core/schema-helpers.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

export function commentRoutes(app: App, services: Services) {
  const { comments } = services;
  const route = typed(app);
  const tags = ['comments'];

  route.get('/tasks/:id/comments', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: "List a task's comments, oldest first",
      params: idParams,
      querystring: z.object(pagingQuery),
      response: { 200: z.array(commentSchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, await comments.list(Number(request.params.id), request.query)),
  });

  route.post('/tasks/:id/comments', {
    config: { entity: 'task' },
    schema: {
      tags,
      summary: 'Comment on a task',
      params: idParams,
      body: commentCreateSchema,
      response: { 201: commentSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.status(201).send(await comments.create(Number(request.params.id), request.body)),
  });

  route.patch('/comments/:id', {
    config: { entity: 'comment' },
    schema: {
      tags,
      summary: 'Edit a comment',
      params: idParams,
      body: commentUpdateSchema,
      response: { 200: commentSchema, ...errorResponses },
    },
    handler: async (request) => comments.update(Number(request.params.id), request.body),
  });

  route.delete('/comments/:id', {
    config: { entity: 'comment' },
    schema: { tags, summary: 'Delete a comment', params: idParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await comments.delete(Number(request.params.id));
      return reply.status(204).send(null);
    },
  });
}
