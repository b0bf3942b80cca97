import type { Services } from '../../app/services.js';
import { agentEndpoints } from '../../context/agent-endpoints.js';
import {
  helpQuerySchema,
  helpSchema,
  promptPreviewSchema,
  taskContextQuerySchema,
  taskContextSchema,
  taskPromptBodySchema,
} from '../../context/task-context.schema.js';
import { errorResponses, idParams } from '../http-schemas.js';
import { typed, type App } from '../route-helpers.js';

/** A JSON value as a shell argument in single quotes. */
const quoted = (value: unknown) => `'${JSON.stringify(value).replaceAll("'", "'\\''")}'`;

export function taskContextRoutes(app: App, services: Services) {
  const route = typed(app);

  route.get('/tasks/:id/context', {
    schema: {
      tags: ['tasks'],
      summary: 'Everything an agent should know about a task: project, objective, criteria, comments, git state, discovery and the endpoints it may call',
      params: idParams,
      querystring: taskContextQuerySchema,
      response: { 200: taskContextSchema, ...errorResponses },
    },
    handler: async (request) => services.taskContext.get(Number(request.params.id), { concise: request.query.concise }),
  });

  route.post('/tasks/:id/prompt', {
    schema: {
      tags: ['tasks'],
      summary: 'The exact prompt a run of the task would send, with its token estimate and what was trimmed to fit the window',
      params: idParams,
      body: taskPromptBodySchema.nullish(),
      response: { 200: promptPreviewSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      // A client that gives up stops the model-server calls (the window, image descriptions).
      const controller = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) controller.abort(new Error('The client disconnected.'));
      });
      return services.taskPrompts.answer(Number(request.params.id), request.body ?? {}, controller.signal);
    },
  });

  route.get('/help', {
    schema: {
      tags: ['agent'],
      summary: 'What an agent may call on this server, with examples (?task_id= fills them in)',
      querystring: helpQuerySchema,
      response: { 200: helpSchema, ...errorResponses },
    },
    handler: async (request) => {
      const domain = services.config.publicUrl;
      const task = request.query.task_id === undefined ? undefined : await services.tasks.get(request.query.task_id);
      const ids = { task: task ? String(task.id) : '{task_id}', project: task ? String(task.project_id) : '{project_id}' };
      const token = services.config.token ? ' -H "authorization: Bearer $WFHUB_TOKEN"' : '';
      const nodes = await services.nodes.list();
      return {
        service: 'wfhub',
        system_domain: domain,
        about:
          'wfhub keeps projects and tasks and hands tasks to coding agents. Read your task with the context endpoint, ' +
          'tell people what you found or did with a comment, split big work into subtasks with acceptance criteria, and mark the task for review when done.',
        task: task ? { id: task.id, title: task.title, project_id: task.project_id, node: task.node_name } : null,
        nodes: nodes.map((node) => ({ name: node.name, model: node.model })),
        endpoints: agentEndpoints.map((endpoint) => {
          const path = endpoint.path.replace('{task}', ids.task).replace('{project}', ids.project);
          const body = endpoint.body && task ? { ...endpoint.body, ...('project_id' in endpoint.body && { project_id: task.project_id }), ...('parent_id' in endpoint.body && { parent_id: task.id }) } : endpoint.body;
          const example = `curl -s${token}${endpoint.method === 'GET' ? '' : ` -X ${endpoint.method}`} '${domain}${path}'${body ? ` -H 'content-type: application/json' -d ${quoted(body)}` : ''}`;
          return { method: endpoint.method, path, description: endpoint.description, example, ...(body && { body }) };
        }),
        docs_url: `${domain}/docs`,
      };
    },
  });
}
