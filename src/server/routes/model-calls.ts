import { z } from 'zod';
import type { Services } from '../../app/services.js';
import { modelCallDetailSchema, modelCallQuerySchema, modelCallSchema, usageQuerySchema, usageSchema } from '../../model-calls/model-call.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { sendPage, typed, type App } from '../route-helpers.js';

/** The model-call log (every call to the model server, the agent's and the /ollama proxy's) and the usage summed from it. */
export function modelCallRoutes(app: App, services: Services) {
  const route = typed(app);
  const { modelCalls } = services;

  route.get('/model-calls', {
    schema: {
      tags: ['usage'],
      summary: 'Calls to the model server, newest first',
      description:
        "Every call wfhub's agent made (source `agent`: runs, chats, image descriptions) and every call made through `/ollama` (source `proxy`), " +
        'kept in the database. Filter by source, model, run, task or project; page with `before=<the last id seen>`. `X-Total-Count` is how many ' +
        'match from there on. The bodies are in `GET /model-calls/{id}`.',
      querystring: modelCallQuerySchema,
      response: { 200: z.array(modelCallSchema), ...errorResponses },
    },
    handler: async (request, reply) => sendPage(reply, await modelCalls.list(request.query)),
  });

  route.get('/model-calls/:id', {
    schema: {
      tags: ['usage'],
      summary: 'One call to the model server, with its request and answer (their start and end kept when large)',
      params: idParams,
      response: { 200: modelCallDetailSchema, ...errorResponses },
    },
    handler: async (request) => modelCalls.get(Number(request.params.id)),
  });

  route.get('/usage', {
    schema: {
      tags: ['usage'],
      summary: 'Tokens, calls, durations and tokens per second, by model, day, project, task, run or source',
      description:
        'Summed from the model-call log: every call of the agent and of the `/ollama` proxy. `totals` covers every call the filters match; ' +
        '`rows` has one entry per model (the default), UTC day, project, task, run or source, the most tokens first (days: the latest first). ' +
        '`tokens_per_second` is completion tokens per second of generation (Ollama\'s own generation time when it tells it, else the call\'s).',
      querystring: usageQuerySchema,
      response: { 200: usageSchema, ...errorResponses },
    },
    handler: async (request) => modelCalls.usage(request.query),
  });
}
