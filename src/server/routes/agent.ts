import { PassThrough } from 'node:stream';
import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  agentResultSchema,
  aiderExecuteBodySchema,
  agentRunBodySchema,
  agentRunQuerySchema,
  agentSettingsSchema,
  agentSettingsUpdateSchema,
  contextBodySchema,
  modelListSchema,
  modelPullBodySchema,
  workspaceContextSchema,
} from '../../agent/agent.schema.js';
import type { AgentRunRequest, AgentSettings } from '../../agent/agent-service.js';
import { commandLineExecutor } from '../../executors/command-line-executor.js';
import { LlmError } from '../../agent/llm/llm-error.js';
import { AppError } from '../../core/errors.js';
import type { Services } from '../../app/services.js';
import { errorResponses, errorSchema } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

export function agentRoutes(app: App, services: Services) {
  const route = typed(app);
  const { config } = services;
  const settings = (current: AgentSettings) => ({
    ...current,
    provider: config.llmProvider,
    model_server: config.llmProvider === 'openai' ? config.openaiBaseUrl : config.ollamaHost,
    num_ctx: config.numCtx,
    tool_protocol: config.toolProtocol,
    sandbox: config.sandbox,
    vision_model: config.visionModel,
    vision_models: config.visionModels,
    public_url: config.publicUrl,
  });

  route.get('/api/config', {
    schema: { tags: ['agent'], summary: 'The default workspace and model, and how the agent reaches its model', response: { 200: agentSettingsSchema } },
    handler: async () => settings(services.agent.settings()),
  });

  route.post('/api/config', {
    schema: {
      tags: ['agent'],
      summary: 'Set the default workspace and model (kept until the server restarts)',
      body: agentSettingsUpdateSchema,
      response: { 200: agentSettingsSchema, ...errorResponses },
    },
    handler: async (request) => settings(await services.agent.configure(request.body)),
  });

  route.get('/api/models', {
    schema: { tags: ['agent'], summary: 'The models the model server has', response: { 200: modelListSchema, 502: errorSchema, 504: errorSchema } },
    handler: async () =>
      (await services.agent.listModels()).map((model) => ({
        name: model.name,
        size_bytes: model.sizeBytes ?? null,
        parameter_size: model.parameterSize ?? null,
      })),
  });

  // A pull can take an hour: the server stopping stops it (the next pull goes on from what was downloaded).
  const pulls = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const controller of pulls) controller.abort(new Error('wfhub is stopping: pull again once it is back.'));
  });

  route.post('/api/models/pull', {
    schema: {
      tags: ['agent'],
      summary: 'Pull a model onto Ollama, its progress streamed as NDJSON',
      description:
        'Answers application/x-ndjson once Ollama has started: `{"type": "pull.progress", "status", "digest"?, "total"?, "completed"?}` ' +
        'lines as Ollama reports them (bytes of the layer downloading), then `{"type": "pull.finished", "model"}` or ' +
        '`{"type": "pull.failed", "error": {"code", "message"}}` (a name the registry does not have, say). When Ollama cannot be ' +
        'reached: 502 in the error shape. Closing the connection stops the pull. Only with WFHUB_LLM_PROVIDER=ollama (else 409).',
      body: modelPullBodySchema,
      response: { 200: z.unknown(), ...errorResponses },
    },
    handler: async (request, reply) => {
      const { model } = request.body;
      const controller = new AbortController();
      pulls.add(controller);
      reply.raw.once('close', () => {
        pulls.delete(controller);
        if (!reply.raw.writableFinished) controller.abort(new Error('The client disconnected.'));
      });
      const stream = new PassThrough();
      const line = (value: Record<string, unknown>) => stream.write(`${JSON.stringify(value)}\n`);
      let began: () => void = () => {};
      const beginning = new Promise<void>((resolve) => (began = resolve));
      const pulling = services.agent.pullModel(model, {
        signal: controller.signal,
        onProgress: (progress) => {
          began();
          line({ type: 'pull.progress', ...progress });
        },
      });
      try {
        // Until Ollama says something, a failure is an HTTP error (it cannot be reached, say).
        await Promise.race([beginning, pulling]);
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw new LlmError('llm_unreachable', error instanceof Error ? error.message : String(error), { url: services.config.ollamaHost });
      }
      void pulling
        .then(
          () => line({ type: 'pull.finished', model }),
          (error: unknown) => line({ type: 'pull.failed', error: { code: 'pull_failed', message: error instanceof Error ? error.message : String(error) } }),
        )
        .finally(() => stream.end());
      return reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-cache').send(stream as never);
    },
  });

  route.post('/api/context', {
    schema: {
      tags: ['agent'],
      summary: "A workspace's files, languages, recent files and README",
      body: contextBodySchema.nullish(),
      response: { 200: workspaceContextSchema, ...errorResponses },
    },
    handler: async (request) => {
      const context = await services.agent.context(request.body?.workspace);
      return {
        workspace: context.workspace,
        file_count: context.fileCount,
        files: context.files,
        languages: context.languages,
        recent_files: context.recentFiles,
        readme: context.readme ?? null,
      };
    },
  });

  /**
   * Runs `body` as an agent run: the result, or with ?stream=true its events as NDJSON. Checked
   * first (workspace, node, executor installed), so a bad request is a 4xx even when streaming.
   */
  async function answerRun(body: AgentRunRequest, query: { stream?: string }, request: FastifyRequest, reply: FastifyReply) {
    const start = await services.agent.prepare(body);
    const controller = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new Error('The client disconnected.'));
    });

    const streaming = query.stream === 'true' || query.stream === '1';
    if (!streaming) return start({ signal: controller.signal });

    const stream = new PassThrough();
    void start({
      signal: controller.signal,
      onEvent: (event) => {
        stream.write(`${JSON.stringify(event)}\n`);
      },
    })
      .catch((error: unknown) => {
        request.log.error({ err: error }, 'agent run failed');
        const message = 'The run failed unexpectedly; the server log has the details.';
        stream.write(`${JSON.stringify({ type: 'error', error: { code: 'internal_error', message } })}\n`);
      })
      .finally(() => stream.end());
    return reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('cache-control', 'no-cache').send(stream as never);
  }

  route.post('/api/agent/run', {
    schema: {
      tags: ['agent'],
      summary: 'Run the agent on a message in a workspace: the result, or with ?stream=true its events as NDJSON',
      description:
        'Without stream, answers the result when the run ends (200 whether it succeeded or not: see status and stop). ' +
        'With stream=true, answers application/x-ndjson: one event per line as the run goes, the last one run.finished or run.failed with the result. ' +
        'Closing the connection cancels the run. With "executor", the run is handed to that coding agent instead of wfhub\'s own ' +
        '(422 executor_not_installed when it is not on this machine).',
      body: agentRunBodySchema,
      querystring: agentRunQuerySchema,
      response: { 200: agentResultSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { executor, ...body } = request.body;
      return answerRun({ ...body, ...(executor && executor !== 'builtin' && { handOff: commandLineExecutor(executor) }) }, request.query, request, reply);
    },
  });

  route.post('/api/aider/execute', {
    schema: {
      tags: ['agent'],
      summary: 'Have Aider do a task in a workspace, on the Ollama model given (or the default): the result, or with ?stream=true its events as NDJSON',
      description:
        'The same as POST /api/agent/run with "executor": "aider": Aider runs in the workspace on Ollama (OLLAMA_HOST), in the sandbox, ' +
        'without committing; the result lists the files it changed, as git sees them. 422 executor_not_installed when Aider is not on this machine.',
      body: aiderExecuteBodySchema,
      querystring: agentRunQuerySchema,
      response: { 200: agentResultSchema, ...errorResponses },
    },
    handler: async (request, reply) => answerRun({ ...request.body, handOff: commandLineExecutor('aider') }, request.query, request, reply),
  });
}
