import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { HubClient } from '../app/hub-client.js';
import { commentCreateSchema } from '../comments/comment.schema.js';
import { label, maxId } from '../core/schema-helpers.js';
import { runTriggerSchema, type Run } from '../runs/run.schema.js';
import { taskCreateSchema, taskStatusSchema, type Task } from '../tasks/task.schema.js';
import { isExpectedError, toolError, toolResult } from './tool-result.js';

export interface McpServerOptions {
  /** wfhub's version, told to the client. */
  version: string;
  /** A tool failed for a reason that is not the caller's (a bug, the database gone): for the log. */
  onError?: (error: unknown, tool: string) => void;
}

/** How many of a task's newest comments get_task shows. */
const recentComments = 10;

const id = (what: string) => z.number().int().min(1).max(maxId).describe(what);
const project = z.union([z.number().int().min(1).max(maxId), label(200)]).describe('Project id or name');
const criteria = z.array(label(2000)).max(100).optional().describe('Acceptance criteria');
const title = taskCreateSchema.shape.title;
const description = taskCreateSchema.shape.description;
const autopilot = z.boolean().optional().describe('The director takes it through its pipeline (roles in order, gates checked)');
const blockedBy = taskCreateSchema.shape.blocked_by.describe('Ids of tasks it waits for (any project); replaces them, [] clears');
const page = (max: number, fallback: number) => ({
  limit: z.number().int().min(1).max(max).default(fallback),
  offset: z.number().int().min(0).max(maxId).default(0),
});

/** A task in a list: what is needed to pick one. */
const taskLine = (task: Task) => ({
  id: task.id,
  parent_id: task.parent_id,
  title: task.title,
  status: task.status,
  priority: task.priority,
  node: task.node_name,
  blocked_by: task.blocked_by,
});

/** A run without its prompt (the whole task again, often long). */
const runOf = ({ prompt: _prompt, ...run }: Run) => run;

const readOnly = { readOnlyHint: true };

export interface HubMcpServer {
  server: McpServer;
  /** Resolves once no tool call is in flight (for a transport about to close). */
  idle(): Promise<void>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * wfhub's tools for MCP clients, over a HubClient (the services in this process or a running
 * server's API). Few tools with one-line descriptions: every agent pays for them in its context.
 */
export function createMcpServer(client: HubClient, options: McpServerOptions): HubMcpServer {
  const server = new McpServer({ name: 'wfhub', version: options.version });
  const inFlight = new Set<Promise<unknown>>();

  /** Runs a tool's work; what goes wrong becomes a tool result saying so. */
  const answer =
    <Args>(tool: string, work: (args: Args) => Promise<Record<string, unknown>>) =>
    async (args: Args): Promise<CallToolResult> => {
      const call = work(args);
      inFlight.add(call);
      try {
        return toolResult(await call);
      } catch (error) {
        if (!isExpectedError(error)) options.onError?.(error, tool);
        return toolError(error);
      } finally {
        inFlight.delete(call);
      }
    };

  server.registerTool(
    'list_projects',
    { description: 'List projects (id, name, workspace folder).', inputSchema: z.strictObject(page(500, 100)), annotations: readOnly },
    answer('list_projects', async ({ limit, offset }) => {
      const found = await client.listProjects({ limit, offset });
      const projects = found.items.map(({ id, name, workspace_path, workspace_dir }) => ({ id, name, workspace_path, workspace_dir }));
      return { projects, total: found.total };
    }),
  );

  server.registerTool(
    'list_tasks',
    {
      description: "List a project's tasks, optionally only some statuses.",
      inputSchema: z.strictObject({
        project,
        status: z.union([taskStatusSchema, z.array(taskStatusSchema)]).optional(),
        ...page(500, 50),
      }),
      annotations: readOnly,
    },
    answer('list_tasks', async ({ project: reference, status, limit, offset }) => {
      const found = await client.findProject(String(reference));
      const statuses = status === undefined ? undefined : Array.isArray(status) ? status : [status];
      const tasks = await client.listTasks(found.id, { ...(statuses?.length && { status: statuses }), limit, offset });
      return { tasks: tasks.items.map(taskLine), total: tasks.total };
    }),
  );

  server.registerTool(
    'get_task',
    {
      description: 'Get a task with its acceptance criteria, subtasks and newest comments.',
      inputSchema: z.strictObject({ id: id('Task id') }),
      annotations: readOnly,
    },
    answer('get_task', async ({ id: taskId }) => {
      const task = await client.getTask(taskId);
      const [criteria, subtasks, comments] = await Promise.all([
        client.listCriteria(taskId),
        client.listSubtasks(task),
        client.recentComments(taskId, recentComments),
      ]);
      return {
        ...task,
        acceptance_criteria: criteria.map(({ id, text, done, check }) => ({ id, text, done, check })),
        subtasks: subtasks.map(taskLine),
        comments: { total: comments.total, recent: comments.items.map(({ id, author, body, created_at }) => ({ id, author, body, created_at })) },
      };
    }),
  );

  server.registerTool(
    'get_task_context',
    {
      description: "What to know before working on a task: project, criteria, comments, git, commands.",
      inputSchema: z.strictObject({ id: id('Task id'), concise: z.boolean().default(false).describe('Short form') }),
      annotations: readOnly,
    },
    answer('get_task_context', async ({ id: taskId, concise }) => client.getTaskContext(taskId, { concise })),
  );

  server.registerTool(
    'create_task',
    {
      description: 'Create a task in a project.',
      inputSchema: z.strictObject({
        project,
        title,
        description,
        acceptance_criteria: criteria,
        node: taskCreateSchema.shape.node.describe('Role: pm, dev, qa, security, documentation'),
        autopilot,
        blocked_by: blockedBy,
      }),
    },
    answer('create_task', async ({ project: reference, acceptance_criteria, ...fields }) => {
      const found = await client.findProject(String(reference));
      return client.createTask({ project_id: found.id, ...fields, ...(acceptance_criteria && { acceptance_criteria }) });
    }),
  );

  server.registerTool(
    'create_subtask',
    {
      description: 'Create a subtask of a task.',
      inputSchema: z.strictObject({ parent_id: id('Parent task id'), title, description, acceptance_criteria: criteria }),
    },
    answer('create_subtask', async ({ parent_id, acceptance_criteria, ...fields }) => {
      const parent = await client.getTask(parent_id);
      return client.createTask({ project_id: parent.project_id, parent_id, ...fields, ...(acceptance_criteria && { acceptance_criteria }) });
    }),
  );

  server.registerTool(
    'update_task_status',
    {
      description: "Set a task's status, autopilot or blockers (what is left out stays).",
      inputSchema: z.strictObject({ id: id('Task id'), status: taskStatusSchema.optional(), autopilot, blocked_by: blockedBy }),
    },
    answer('update_task_status', async ({ id: taskId, status, autopilot, blocked_by }) =>
      client.updateTask(taskId, {
        ...(status !== undefined && { status }),
        ...(autopilot !== undefined && { autopilot }),
        ...(blocked_by !== undefined && { blocked_by }),
      }),
    ),
  );

  server.registerTool(
    'add_comment',
    {
      description: 'Comment on a task.',
      inputSchema: z.strictObject({
        task_id: id('Task id'),
        body: commentCreateSchema.shape.body,
        author: commentCreateSchema.shape.author.unwrap().default('mcp'),
      }),
    },
    answer('add_comment', async ({ task_id, body, author }) => client.addComment(task_id, { body, author })),
  );

  server.registerTool(
    'trigger_task',
    {
      description: 'Start an agent run on a task; follow it with get_run.',
      inputSchema: z.strictObject({
        id: id('Task id'),
        node: runTriggerSchema.shape.node.describe("Role for this run (the task's by default)"),
        model: runTriggerSchema.shape.model.describe('Model for this run'),
        message: runTriggerSchema.shape.message.describe('Extra instructions'),
        executor: runTriggerSchema.shape.executor.describe("Who does the work; the role's or project's by default"),
      }),
    },
    answer('trigger_task', async ({ id: taskId, ...input }) => runOf(await client.triggerRun(taskId, input))),
  );

  server.registerTool(
    'get_run',
    {
      description: 'Get a run: status, summary, files changed, usage; optionally its last events.',
      inputSchema: z.strictObject({ id: id('Run id'), events: z.number().int().min(0).max(200).default(0).describe('How many last events to include') }),
      annotations: readOnly,
    },
    answer('get_run', async ({ id: runId, events }) => {
      const run = runOf(await client.getRun(runId));
      if (events === 0) return run;
      const recorded = await client.recentRunEvents(runId, events);
      return { ...run, events: { total: recorded.total, last: recorded.items } };
    }),
  );

  return {
    server,
    async idle() {
      // A request read just now starts its call within this turn; an answer is sent in the next.
      await nextTurn();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await nextTurn();
    },
  };
}
