import { z } from 'zod';
import { label, text } from '../core/schema-helpers.js';
import { executorNameSchema } from '../executors/executor.schema.js';

/** The API's shapes for the agent engine: the tools API (`/api/*`) and agent runs. */

const workspaceField = label(1000).describe('A folder under the workspaces dir, such as "poc". Defaults to the one set with POST /api/config.');

export const agentSettingsSchema = z
  .object({
    workspace: z.string().nullable().describe('The default workspace, or null when none is set'),
    model: z.string().describe('The default model'),
    provider: z.enum(['ollama', 'openai']),
    model_server: z.string().describe('The model server URL'),
    num_ctx: z.number().int().describe('The most context asked of the model, in tokens'),
    tool_protocol: z.enum(['auto', 'native', 'text']),
    sandbox: z.enum(['auto', 'bwrap', 'off']),
    vision_model: z.string().describe('The vision model that describes images (WFHUB_VISION_MODEL)'),
    vision_models: z.array(z.string()).describe('The vision models a request may pick (WFHUB_VISION_MODELS, and the default)'),
    public_url: z.string().describe('Where agents reach this server (WFHUB_PUBLIC_URL): SYSTEM_DOMAIN in prompts'),
  })
  .meta({ id: 'AgentSettings' });

export const agentSettingsUpdateSchema = z
  .object({
    workspace: workspaceField.nullable().optional().describe('The default workspace (created when missing); null clears it'),
    model: label(200).optional().describe('The default model, such as "qwen2.5-coder:3b"'),
  })
  .strict();

export const toolResultSchema = z
  .object({
    output: z.string().describe('What the tool returned, as the model would see it'),
    files_changed: z.array(z.string()).describe('Workspace-relative paths the call created or changed'),
    metadata: z.record(z.string(), z.unknown()).describe('Details such as exit code, match counts or durations'),
  })
  .meta({ id: 'ToolResult' });

const path = text({ min: 1, max: 4096 }).describe('Relative to the workspace root');

export const readBodySchema = z
  .object({
    workspace: workspaceField.optional(),
    path,
    offset: z.number().int().min(1).optional().describe('First line to show, from 1'),
    limit: z.number().int().min(1).max(100_000).optional().describe('Lines to show (default 2000)'),
  })
  .strict();

export const writeBodySchema = z.object({ workspace: workspaceField.optional(), path, content: text({ max: 10_000_000 }) }).strict();

export const globBodySchema = z
  .object({ workspace: workspaceField.optional(), pattern: text({ min: 1, max: 1000 }), path: path.optional() })
  .strict();

export const grepBodySchema = z
  .object({
    workspace: workspaceField.optional(),
    pattern: text({ min: 1, max: 1000 }).describe('A regular expression (ripgrep syntax)'),
    path: path.optional(),
    include: text({ min: 1, max: 1000 }).optional().describe('Only files whose name matches this glob, such as "*.ts"'),
  })
  .strict();

export const bashBodySchema = z
  .object({
    workspace: workspaceField.optional(),
    command: text({ min: 1, max: 100_000 }),
    timeout: z.number().positive('must be a positive number of seconds').max(600, 'must be at most 600 seconds').optional().describe('Seconds (default 120, at most 600)'),
  })
  .strict();

export const editBodySchema = z
  .object({
    workspace: workspaceField.optional(),
    path: path.optional(),
    old_string: text({ max: 10_000_000 }).optional(),
    new_string: text({ max: 10_000_000 }).optional(),
    replace_all: z.boolean().optional(),
    blocks: text({ min: 1, max: 10_000_000 }).optional().describe('Aider-style SEARCH/REPLACE blocks, each after its file path'),
  })
  .strict()
  .refine((body) => body.blocks !== undefined || (body.path !== undefined && body.old_string !== undefined && body.new_string !== undefined), {
    message: 'give either {path, old_string, new_string} or {blocks}',
  });

export const contextBodySchema = z.object({ workspace: workspaceField.optional() }).strict();

export const workspaceContextSchema = z
  .object({
    workspace: z.string(),
    file_count: z.number().int(),
    files: z.array(z.string()).describe('The first 200 files, in path order'),
    languages: z.array(z.object({ language: z.string(), files: z.number().int() })),
    recent_files: z.array(z.string()).describe('The 10 most recently modified files'),
    readme: z.object({ path: z.string(), excerpt: z.string() }).nullable(),
  })
  .meta({ id: 'WorkspaceContext' });

export const agentRunBodySchema = z
  .object({
    message: text({ min: 1, max: 200_000 }).describe('What the agent should do'),
    workspace: workspaceField.optional(),
    model: label(200).optional().describe("Overrides the node's, the project's and the default model"),
    node: z
      .union([label(100), z.number().int().min(1)])
      .optional()
      .describe('A role by name or id (dev, qa, ...): its directive and model'),
    images: z.array(z.string().max(20_000_000)).max(8).optional().describe('Base64 images, for models that can see'),
    executor: executorNameSchema
      .optional()
      .describe("Who does the work: builtin (wfhub's agent, the default), aider, claude, codex, opencode or gemini (GET /executors lists the installed ones)"),
  })
  .strict();

export const aiderExecuteBodySchema = z
  .object({
    message: text({ min: 1, max: 200_000 }).describe('What Aider should do'),
    workspace: workspaceField.optional(),
    model: label(200).optional().describe('The Ollama model (qwen2.5-coder:3b) or an Aider model name (ollama_chat/…, openai/…); the default model otherwise'),
  })
  .strict();

export const agentRunQuerySchema = z.object({
  stream: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .describe('true: answer the events as NDJSON while the run goes, the last one holding the result'),
});

export const agentResultSchema = z
  .object({
    status: z.enum(['succeeded', 'failed', 'cancelled']),
    stop: z.object({ code: z.string(), message: z.string() }),
    summary: z.string(),
    files_changed: z.array(z.string()),
    usage: z.object({
      prompt_tokens: z.number().int(),
      completion_tokens: z.number().int(),
      steps: z.number().int(),
      tool_calls: z.number().int(),
      duration_ms: z.number(),
    }),
    model: z.string(),
    provider: z.string(),
  })
  .meta({ id: 'AgentResult' });

export const modelListSchema = z.array(
  z.object({ name: z.string(), size_bytes: z.number().nullable(), parameter_size: z.string().nullable() }),
);

/** A model name as Ollama's registry spells them: qwen2.5-coder:3b, library/llama3.2, hf.co/user/repo:Q4_K_M. */
export const modelPullBodySchema = z
  .object({
    model: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/+-]*$/, 'must be a model name such as qwen2.5-coder:3b (letters, digits and . _ : / + -)'),
  })
  .meta({ id: 'ModelPull' });
