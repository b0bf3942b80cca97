import { z } from 'zod';
import { idSchema, label, text, timestampSchema } from '../core/schema-helpers.js';
import { taskStatusSchema } from '../tasks/task.schema.js';

const taskRefSchema = z.object({ id: idSchema, title: z.string(), status: taskStatusSchema });

const commentSchema = z.object({ id: idSchema, author: z.string(), body: z.string(), created_at: timestampSchema });

/** What wfhub reads from a workspace's manifests (package.json, pyproject.toml, go.mod, Cargo.toml, Makefile). */
export const discoverySchema = z
  .object({
    file_count: z.number().int().describe('Files not ignored by .gitignore'),
    languages: z.array(z.object({ language: z.string(), files: z.number().int() })).describe('Programming languages by file count, most first'),
    frameworks: z.array(z.string()).describe('Frameworks and notable libraries the manifests name'),
    manifests: z.array(z.string()).describe('The manifest files read'),
    commands: z
      .array(z.object({ kind: z.enum(['test', 'build', 'lint', 'start', 'other']), command: z.string(), source: z.string() }))
      .describe('Commands to test, build, lint or start the project, and the file that says so'),
    readme: z.object({ path: z.string(), summary: z.string() }).nullable().describe('The start of README.md or project.md'),
  })
  .meta({ id: 'Discovery' });

export type Discovery = z.output<typeof discoverySchema>;

export const endpointHintSchema = z.object({ method: z.string(), path: z.string(), description: z.string() });
export type EndpointHint = z.output<typeof endpointHintSchema>;

/** Everything an agent (or a person) should know before working on a task. */
export const taskContextSchema = z
  .object({
    concise: z.boolean().describe('The short form: fewer comments, commits and files'),
    project: z.object({
      id: idSchema,
      name: z.string(),
      workspace_path: z.string(),
      environment: z.record(z.string(), z.unknown()),
    }),
    system_domain: z.string().describe("This server's public URL: where an agent calls wfhub"),
    help_url: z.string(),
    token_required: z.boolean().describe('Calls to this server need its token (WFHUB_TOKEN), which agents in runs do not have'),
    task: z.object({
      id: idSchema,
      title: z.string(),
      status: taskStatusSchema,
      node: z.string().nullable(),
      priority: z.string(),
    }),
    objective: z.string().describe('The title and description: what to do'),
    acceptance_criteria: z.array(z.object({ id: idSchema, text: z.string(), done: z.boolean(), check: z.string().nullable() })),
    attachments: z.array(
      z.object({
        id: idSchema,
        file_name: z.string(),
        content_type: z.string(),
        size_bytes: z.number().int(),
        download_url: z.string(),
        description: z.string().nullable().describe('What a vision model saw in the image, once shown to one'),
      }),
    ),
    comments: z.object({
      total: z.number().int().describe("All the task's comments, wfhub's run summaries included"),
      recent: z.array(commentSchema).describe("The newest comments by people (and agents), oldest first; not wfhub's run summaries"),
      last: commentSchema.nullable().describe('The last of those'),
      last_run: commentSchema.nullable().describe("wfhub's summary of the task's last run"),
    }),
    parent: taskRefSchema.nullable(),
    subtasks: z.array(taskRefSchema),
    git: z
      .object({
        branch: z.string().nullable(),
        head: z.string().nullable(),
        dirty: z.array(z.string()).describe('Files changed and not committed'),
        recent_commits: z.array(z.object({ sha: z.string(), subject: z.string(), author: z.string(), date: z.string() })),
      })
      .nullable()
      .describe('null when the workspace is not a git repository (yet)'),
    recent_files: z.array(z.string()).describe('Most recently modified files, newest first'),
    discovery: discoverySchema.nullable().describe('null when the workspace folder is not on this machine'),
    endpoints: z.array(endpointHintSchema).describe('What an agent may call on this server'),
  })
  .meta({ id: 'TaskContext' });

export type TaskContext = z.output<typeof taskContextSchema>;

export const taskContextQuerySchema = z.strictObject({
  concise: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((value) => value === 'true' || value === '1')
    .describe('The short form'),
});

export const taskPromptBodySchema = z
  .strictObject({
    node: z.union([label(100), idSchema]).optional().describe("A role by name or id; the task's own when absent"),
    model: label(200).optional().describe("The model the run would use; the role's, the project's or the default when absent"),
    message: text({ max: 20_000 }).optional().describe('What a trigger would add for the run'),
  })
  .meta({ id: 'TaskPromptRequest' });

export const promptPreviewSchema = z
  .object({
    task_id: idSchema,
    model: z.string(),
    node: z.string().nullable(),
    num_ctx: z.number().int().describe("The model's window, capped by WFHUB_NUM_CTX"),
    protocol: z.enum(['native', 'text']).describe("How tools are offered: the server's tool calling, or wfhub's text protocol"),
    budget: z.number().int().describe('The most any prompt of the run may take, in tokens (the rest is room for answers)'),
    task_budget: z.number().int().describe('The most the task message may take: half of what the system prompt and tools leave'),
    estimated_tokens: z.number().int().describe('The whole first prompt (system, task, tool schemas), estimated conservatively; runs correct the estimate with the count the model server reports'),
    system: z.string().describe('The system prompt, exactly as sent'),
    user: z.string().describe('The task message, exactly as sent'),
    sections: z.array(z.object({ id: z.string(), state: z.enum(['kept', 'shortened', 'dropped']), tokens: z.number().int() })),
    trimmed: z.array(z.string()).describe('The sections shortened or dropped to fit the window'),
    warning: z.string().optional(),
  })
  .meta({ id: 'PromptPreview' });

export type PromptPreviewAnswer = z.output<typeof promptPreviewSchema>;

export const helpQuerySchema = z.strictObject({
  task_id: z.coerce.number().int().min(1).max(2_147_483_647).optional().describe("Fill the examples with this task's ids"),
});

export const helpSchema = z
  .object({
    service: z.string(),
    system_domain: z.string(),
    about: z.string(),
    task: z.object({ id: idSchema, title: z.string(), project_id: idSchema, node: z.string().nullable() }).nullable(),
    nodes: z.array(z.object({ name: z.string(), model: z.string().nullable() })),
    endpoints: z.array(
      endpointHintSchema.extend({ example: z.string().describe('A curl command'), body: z.record(z.string(), z.unknown()).optional() }),
    ),
    docs_url: z.string(),
  })
  .meta({ id: 'Help' });
