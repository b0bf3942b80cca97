import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { version } from '../../app/version.js';
import { fullHealthSchema } from '../../health/health.schema.js';
import { errorResponses } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function healthRoutes(app: App, services: Services) {
  const route = typed(app);
  route.get('/health', {
    config: { public: true },
    schema: {
      tags: ['health'],
      summary: 'Liveness: answers at once while the process is up (no token needed)',
      response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) },
    },
    handler: async () => ({ status: 'ok' as const, version }),
  });

  route.get('/health/full', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: database, model server, disk and queue',
      response: { 200: fullHealthSchema, 503: fullHealthSchema, ...errorResponses },
    },
    handler: async (_request, reply) => {
      const health = await services.health.full();
      return reply.status(health.overall_status === 'down' ? 503 : 200).send(health);
    },
  });
}
