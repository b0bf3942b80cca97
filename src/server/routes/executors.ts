import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { version } from '../../app/version.js';
import { executorStatusSchema } from '../../executors/executor.schema.js';
import { installedExecutors } from '../../executors/installed-executors.js';
import { errorResponses } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function executorRoutes(app: App, _services: Services) {
  const route = typed(app);
  route.get('/executors', {
    schema: {
      tags: ['agent'],
      summary: "The executors a run can be handed to on this server's machine: the built-in agent and the coding agents' command lines installed, with their versions",
      response: { 200: z.object({ executors: z.array(executorStatusSchema) }), ...errorResponses },
    },
    handler: async () => ({ executors: await installedExecutors(version) }),
  });
}
