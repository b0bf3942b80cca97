import { z } from 'zod';
import type { Services } from '../../app/services.js';
import {
  deliveryListQuerySchema,
  deliverySchema,
  secretRotateSchema,
  webhookCreateSchema,
  webhookSchema,
  webhookUpdateSchema,
  webhookWithSecretSchema,
} from '../../webhooks/webhook.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

export function webhookRoutes(app: App, services: Services) {
  const { webhooks, webhookSender } = services;
  const route = typed(app);
  const tags = ['webhooks'];

  route.get('/projects/:id/webhooks', {
    config: { entity: 'project' },
    schema: {
      tags,
      summary: "The project's webhooks, each with its newest delivery (never their secrets)",
      params: idParams,
      response: { 200: z.array(webhookSchema), ...errorResponses },
    },
    handler: async (request) => webhooks.listForProject(Number(request.params.id)),
  });

  route.post('/projects/:id/webhooks', {
    config: { entity: 'project' },
    schema: {
      tags,
      summary: 'Add a webhook: the events are POSTed to its URL as JSON, signed with its secret',
      description:
        'The answer holds the secret (given, or made for you) this once: no later answer shows more than its last 4 characters. ' +
        'Each delivery carries X-Wfhub-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>. A project has at most 20 webhooks (422 too_many_webhooks).',
      params: idParams,
      body: webhookCreateSchema,
      response: { 201: webhookWithSecretSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.status(201).send(await webhooks.create(Number(request.params.id), request.body)),
  });

  route.get('/webhooks/:id', {
    config: { entity: 'webhook' },
    schema: { tags, summary: 'Get a webhook (never its secret)', params: idParams, response: { 200: webhookSchema, ...errorResponses } },
    handler: async (request) => webhooks.get(Number(request.params.id)),
  });

  route.patch('/webhooks/:id', {
    config: { entity: 'webhook' },
    schema: {
      tags,
      summary: "Change a webhook's URL, events, description, or turn it off and on",
      description: "An inactive webhook records no new events, and its pending deliveries wait until it is active again. The secret changes only with POST /webhooks/{id}/rotate-secret.",
      params: idParams,
      body: webhookUpdateSchema,
      response: { 200: webhookSchema, ...errorResponses },
    },
    handler: async (request) => webhooks.update(Number(request.params.id), request.body),
  });

  route.delete('/webhooks/:id', {
    config: { entity: 'webhook' },
    schema: { tags, summary: 'Delete a webhook and its delivery log (pending deliveries are not sent)', params: idParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await webhooks.delete(Number(request.params.id));
      return reply.status(204).send(null);
    },
  });

  route.post('/webhooks/:id/rotate-secret', {
    config: { entity: 'webhook' },
    schema: {
      tags,
      summary: "Replace a webhook's secret (given, or made for you); answered this once",
      description: 'Deliveries from now on, retries of earlier ones included, are signed with the new secret.',
      params: idParams,
      body: secretRotateSchema.nullish(),
      response: { 200: webhookWithSecretSchema, ...errorResponses },
    },
    handler: async (request) => webhooks.rotateSecret(Number(request.params.id), request.body ?? {}),
  });

  route.post('/webhooks/:id/test', {
    config: { entity: 'webhook' },
    schema: {
      tags,
      summary: 'Send a ping event to the webhook now; answers the delivery once it is tried',
      description: 'A ping is tried once (even on an inactive webhook), never retried: the delivery says how the receiver answered.',
      params: idParams,
      response: { 201: deliverySchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const deliveryId = await webhooks.ping(Number(request.params.id));
      return reply.status(201).send(await webhookSender.sendNow(deliveryId));
    },
  });

  route.get('/webhooks/:id/deliveries', {
    config: { entity: 'webhook' },
    schema: {
      tags,
      summary: "A webhook's deliveries, newest first: each event, its status, attempts, the receiver's answer",
      params: idParams,
      querystring: deliveryListQuerySchema,
      response: { 200: z.array(deliverySchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, await webhooks.deliveries(Number(request.params.id), request.query)),
  });

  route.post('/webhooks/deliveries/:id/redeliver', {
    config: { entity: 'delivery' },
    schema: {
      tags,
      summary: "Send a delivery's event again, as a new delivery (redelivery_of names the first), tried now",
      description: 'Answers the new delivery once its first attempt is made (on an inactive webhook too); if that fails it is retried like any other, once the webhook is active.',
      params: idParams,
      response: { 201: deliverySchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const deliveryId = await webhooks.redeliver(Number(request.params.id));
      return reply.status(201).send(await webhookSender.sendNow(deliveryId));
    },
  });
}
