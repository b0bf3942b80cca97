import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Services } from '../app/services.js';
import { version } from '../app/version.js';
import { requireToken } from './auth.js';
import { refuseCrossSite } from './same-origin.js';
import { acceptJsonWhateverTheContentType } from './body-parsers.js';
import { webApp } from './web-app.js';
import { chooseProtocol, closeRefusedUpgrades } from './websocket-upgrades.js';
import { clientErrorResponse, frameworkErrorResponse, installErrorHandling } from './error-handler.js';
import { guardIds } from './id-guard.js';
import { criterionRoutes } from './routes/acceptance-criteria.js';
import { agentToolRoutes } from './routes/agent-tools.js';
import { agentRoutes } from './routes/agent.js';
import { attachmentRoutes } from './routes/attachments.js';
import { chatRoutes } from './routes/chat.js';
import { commentRoutes } from './routes/comments.js';
import { executorRoutes } from './routes/executors.js';
import { healthRoutes } from './routes/health.js';
import { liveRoutes } from './routes/live.js';
import { logRoutes } from './routes/logs.js';
import { integrationRoutes } from './routes/integrations.js';
import { mcpRoutes } from './routes/mcp.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelCallRoutes } from './routes/model-calls.js';
import { ollamaProxyRoutes } from './routes/ollama-proxy.js';
import { nodeRoutes } from './routes/nodes.js';
import { projectGitRoutes } from './routes/project-git.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { projectRoutes } from './routes/projects.js';
import { runRoutes } from './routes/runs.js';
import { taskContextRoutes } from './routes/task-context.js';
import { taskMergeRoutes } from './routes/task-merge.js';
import { workerRoutes } from './routes/workers.js';
import { taskRoutes } from './routes/tasks.js';
import { webhookRoutes } from './routes/webhooks.js';

const swaggerUiAssets = path.join(path.dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json')), 'static');

export interface ServerOptions {
  logger?: Logger;
}

/** The HTTP face of the services: thin routes, errors mapped in one place. */
export async function buildServer(services: Services, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: 4 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    frameworkErrors: frameworkErrorResponse,
    clientErrorHandler: clientErrorResponse,
  }) as unknown as FastifyInstance;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  acceptJsonWhateverTheContentType(app);
  refuseCrossSite(app, { token: services.config.token });
  requireToken(app, services.config.token);
  guardIds(app);
  // First, so its request counter hears every route, the docs' too.
  metricsRoutes(app, services);

  // Before the routes, so it can take the upgrade requests of the WebSocket ones.
  closeRefusedUpgrades(app);
  await app.register(fastifyWebsocket, {
    // The answered subprotocol is "wfhub" only: never the offered `bearer.<token>` one.
    options: { maxPayload: 64 * 1024, handleProtocols: chooseProtocol },
    // Clients are told the server is going away (1001), so they know to reconnect later.
    preClose(this: FastifyInstance, done: () => void) {
      for (const client of this.websocketServer.clients) client.close(1001, 'the server is stopping');
      this.websocketServer.close(() => done());
    },
  });
  await app.register(fastifyMultipart, {
    limits: { fileSize: services.config.attachmentMaxBytes + 1, files: 50, fields: 20, parts: 70 },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'wfhub',
        version,
        description: 'Projects and tasks for AI coding agents. Errors answer {"error": {"code", "message", "details"}}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(services.config.token && { security: [{ bearer: [] }] }),
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // Its assets are named explicitly: inside the bundle its own folder cannot be found from __dirname.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    baseDir: swaggerUiAssets,
    logo: { type: 'image/svg+xml', content: await readFile(path.join(swaggerUiAssets, 'logo.svg')) },
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  healthRoutes(app, services);
  projectRoutes(app, services);
  taskRoutes(app, services);
  commentRoutes(app, services);
  attachmentRoutes(app, services);
  criterionRoutes(app, services);
  nodeRoutes(app, services);
  agentRoutes(app, services);
  executorRoutes(app, services);
  agentToolRoutes(app, services);
  runRoutes(app, services);
  liveRoutes(app, services);
  logRoutes(app, services);
  modelCallRoutes(app, services);
  await ollamaProxyRoutes(app, services);
  taskMergeRoutes(app, services);
  taskContextRoutes(app, services);
  chatRoutes(app, services);
  workerRoutes(app, services);
  projectGitRoutes(app, services);
  pipelineRoutes(app, services);
  mcpRoutes(app, services);
  integrationRoutes(app, services);
  webhookRoutes(app, services);
  await webApp(app);
  // Closing waits for open requests; an agent run can take half an hour, so it is stopped first.
  app.addHook('preClose', async () => services.agent.cancelAll());

  await app.ready();
  return app;
}
