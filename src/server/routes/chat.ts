import { PassThrough } from 'node:stream';
import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { chatBodyLimitBytes, chatQuerySchema, chatReplySchema, chatRequestSchema, conversationSchema, conversationWithMessagesSchema } from '../../chat/chat.schema.js';
import { pagingQuery } from '../../core/schema-helpers.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

export function chatRoutes(app: App, services: Services) {
  const route = typed(app);

  route.post('/projects/:id/chat', {
    config: { entity: 'project' },
    bodyLimit: chatBodyLimitBytes,
    schema: {
      tags: ['chat'],
      summary: "Talk with the agent in the project's workspace: it answers and acts, streamed as NDJSON",
      description:
        'Answers application/x-ndjson: chat.started (the conversation and your message, kept), vision.described for each image, ' +
        "the agent's events as they happen, and chat.finished with its answer. With stream=false, one JSON answer at the end (the answer, the warnings, the prompt sections trimmed). " +
        'Send conversation_id to continue a conversation. Images (base64 or data URLs) are described by the vision model, and ' +
        'the description goes into the working model\'s prompt. Closing the connection stops the agent.',
      params: idParams,
      querystring: chatQuerySchema,
      body: chatRequestSchema,
      response: { 200: chatReplySchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      // Checked before anything is kept or streamed: a bad project, conversation or model is a 4xx.
      const start = await services.projectChat.open(Number(request.params.id), request.body);
      const controller = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) controller.abort(new Error('The client disconnected.'));
      });
      if (!request.query.stream) {
        return start(() => {}, controller.signal);
      }
      const stream = new PassThrough();
      void start((event) => {
        stream.write(`${JSON.stringify(event)}\n`);
      }, controller.signal)
        .catch((error: unknown) => {
          request.log.error({ err: error }, 'chat failed');
          stream.write(`${JSON.stringify({ type: 'error', error: { code: 'internal_error', message: 'The chat failed unexpectedly; the server log has the details.' } })}\n`);
        })
        .finally(() => stream.end());
      return reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-cache').send(stream as never);
    },
  });

  route.get('/projects/:id/chats', {
    config: { entity: 'project' },
    schema: {
      tags: ['chat'],
      summary: "A project's conversations with the agent, the latest first",
      params: idParams,
      querystring: z.object(pagingQuery),
      response: { 200: z.array(conversationSchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, await services.chats.list(Number(request.params.id), request.query)),
  });

  route.get('/chats/:id', {
    config: { entity: 'conversation' },
    schema: {
      tags: ['chat'],
      summary: 'A conversation with its messages',
      params: idParams,
      response: { 200: conversationWithMessagesSchema, ...errorResponses },
    },
    handler: async (request) => {
      const conversation = await services.chats.get(Number(request.params.id));
      return { ...conversation, messages: await services.chats.messages(conversation.id) };
    },
  });

  route.delete('/chats/:id', {
    config: { entity: 'conversation' },
    schema: { tags: ['chat'], summary: 'Delete a conversation', params: idParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await services.chats.delete(Number(request.params.id));
      return reply.code(204).send(null);
    },
  });
}
