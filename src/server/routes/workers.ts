import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { workerSchema } from '../../runs/worker.schema.js';
import { errorResponses } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function workerRoutes(app: App, services: Services) {
  typed(app).get('/workers', {
    schema: {
      tags: ['runs'],
      summary: 'The processes taking runs (servers and wfhub workers), and the workspaces dir each serves',
      description:
        "A project's runs go to the workers whose workspaces_id is the project's; a project with a git remote to any of them " +
        '(one that cannot see the folder clones the remote). Workers not seen for 90 s are offline.',
      response: { 200: z.array(workerSchema), ...errorResponses },
    },
    handler: async () => services.workers.list(),
  });
}
