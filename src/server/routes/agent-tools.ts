import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import {
  bashBodySchema,
  editBodySchema,
  globBodySchema,
  grepBodySchema,
  readBodySchema,
  toolResultSchema,
  writeBodySchema,
} from '../../agent/agent.schema.js';
import type { ToolResult } from '../../agent/tools/tool.js';
import type { Services } from '../../app/services.js';
import { errorResponses, errorSchema } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

/** Stops a tool (a running command, say) when the client goes away before the answer. */
function abortOnDisconnect(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('The client disconnected.'));
  });
  return controller.signal;
}

function present(result: ToolResult): z.output<typeof toolResultSchema> {
  return { output: result.output, files_changed: [...(result.filesChanged ?? [])], metadata: { ...(result.metadata ?? {}) } };
}

const tools = [
  ['read', readBodySchema, 'Read a file: numbered lines, paged with offset and limit'],
  ['write', writeBodySchema, 'Write a whole file (created with its folders, or replaced)'],
  ['edit', editBodySchema, 'Edit a file: exact string replace, or Aider-style SEARCH/REPLACE blocks'],
  ['glob', globBodySchema, 'Find files by glob, newest first (gitignore-aware)'],
  ['grep', grepBodySchema, 'Search file contents with ripgrep, matches grouped by file'],
  ['bash', bashBodySchema, 'Run a shell command in the workspace, sandboxed, with a timeout'],
] as const;

/**
 * The tools API: each workspace tool on its own, for scripts and other agents. The same tools the
 * agent uses, with the same confinement; a refusal answers 4xx with the tool's message.
 */
export function agentToolRoutes(app: App, services: Services) {
  const route = typed(app);
  for (const [name, body, summary] of tools) {
    route.post(`/api/${name}`, {
      schema: {
        tags: ['tools'],
        summary,
        body,
        response: { 200: toolResultSchema, ...errorResponses, 503: errorSchema },
      },
      handler: async (request, reply) => {
        const { workspace, ...input } = request.body as { workspace?: string } & Record<string, unknown>;
        const result = await services.agent.runTool(name, input, { workspace, signal: abortOnDisconnect(reply) });
        return present(result);
      },
    });
  }
}
