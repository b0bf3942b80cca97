import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { nodeSchema } from '../../nodes/node.schema.js';
import { errorResponses } from '../http-schemas.js';
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
}
