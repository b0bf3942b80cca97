import type { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { credentialCreateSchema, importBodySchema, mappingCreateSchema } from '../integrations/integration.schema.js';
import { trackerInfo } from '../integrations/trackers.js';
import { webhookCreateSchema } from '../webhooks/webhook.schema.js';
import type { HubClient, TaskFilter } from './hub-client.js';
import type { Services } from './services.js';

const everything = { limit: 5000, offset: 0 };

export interface ServicesClientOptions {
  /** How this client reaches the data (HubClient.via). */
  via: string;
  /**
   * true (the CLI, no server): a triggered run is executed by this process, and closing waits
   * for it. false (inside the server): it is queued for the scheduler taking runs there.
   */
  executeRuns: boolean;
}

/** Input checked as the API checks it (the services take it as parsed), in the API's words. */
function checked<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const summary = parsed.error.issues.map((issue) => `${['body', ...issue.path.map(String)].join('.')}: ${issue.message}`).join('; ');
  throw new InvalidInputError('invalid_request', `Invalid body: ${summary}.`);
}

/** The services in this process as a HubClient: the CLI's local client, and /mcp in the server. */
export function servicesClient(services: Services, options: ServicesClientOptions): HubClient {
  const { projects, tasks, criteria, comments, agent, runs, scheduler, taskContext, credentials, mappings, trackerImport, pipelines, taskPipelines, director } = services;
  const executing: Promise<void>[] = [];
  let interrupt = () => {};
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  let closing: Promise<void> | undefined;
  return {
    via: options.via,
    listProjects: (page) => projects.list(page),
    createProject: (input) => projects.create(input),
    findProject: (reference) => projects.find(reference),
    createTask: (input) => tasks.create(input),
    listTasks: (projectId, filter: TaskFilter) => tasks.listForProject(projectId, { ...filter }),
    getTask: (id) => tasks.get(id),
    updateTask: (id, input) => tasks.update(id, input),
    getPipeline: (projectId) => pipelines.get(projectId),
    setPipeline: (projectId, input) => pipelines.put(projectId, input),
    getTaskPipeline: (taskId) => taskPipelines.get(taskId),
    overrideTask: async (taskId, input) => {
      await director.override(taskId, input);
      return tasks.get(taskId);
    },
    getTaskContext: (taskId, { concise }) => taskContext.get(taskId, { concise }),
    previewPrompt: (taskId, request) => services.taskPrompts.answer(taskId, request),
    listCriteria: async (taskId) => (await criteria.list(taskId, everything)).items,
    listComments: async (taskId) => (await comments.list(taskId, everything)).items,
    async recentComments(taskId, count) {
      const first = await comments.list(taskId, { limit: Math.max(count, 1), offset: 0 });
      if (first.total <= count) return first;
      return comments.list(taskId, { limit: count, offset: first.total - count });
    },
    addComment: (taskId, input) => comments.create(taskId, input),
    listSubtasks: async (task) => (await tasks.listForProject(task.project_id, { parent: task.id, ...everything })).items,
    runAgent: (request, options) => agent.run(request, options),
    async chat(projectId, request, chatOptions) {
      const talk = await services.projectChat.open(projectId, request);
      return (await talk((event) => chatOptions.onEvent?.(event), chatOptions.signal)).message;
    },
    async triggerRun(taskId, input) {
      if (!options.executeRuns) return scheduler.trigger(taskId, input);
      // No server holds the database: this process executes this run itself, and no other.
      const { run, done } = await scheduler.triggerAndExecute(taskId, input);
      executing.push(done);
      return run;
    },
    getRun: (runId) => runs.get(runId),
    runEvents: async (runId, afterSeq) => (await runs.events(runId, { afterSeq, limit: 5000 })).items,
    async recentRunEvents(runId, count) {
      const first = await runs.events(runId, { afterSeq: 0, limit: Math.max(count, 1) });
      if (first.total <= count) return first;
      // Sequence numbers start at 1: at least `count` events come after total - count.
      const tail = await runs.events(runId, { afterSeq: first.total - count, limit: 5000 });
      return { items: tail.items.slice(Math.max(0, tail.items.length - count)), total: tail.total };
    },
    cancelRun: (runId) => scheduler.cancel(runId),
    listTrackers: async () => [...trackerInfo],
    listCredentials: () => credentials.list(),
    createCredential: async (input) => (await credentials.create(checked(credentialCreateSchema, input))).credential,
    listExternalProjects: (credentialId) => credentials.projects(credentialId),
    createMapping: (input) => mappings.create(checked(mappingCreateSchema, input)),
    listMappings: (filter) => mappings.list(filter),
    listExternalTasks: (mappingId) => mappings.externalTasks(mappingId),
    importTasks(body, importOptions) {
      const { onEvent, signal } = importOptions;
      return trackerImport.run(checked(importBodySchema, body), onEvent && ((event) => event.type !== 'error' && onEvent(event)), signal).catch((error: unknown) => {
        if (signal?.aborted) throw new Error('The import was stopped; what it wrote stays, and importing again picks up the rest.', { cause: error });
        throw error;
      });
    },
    listWebhooks: (projectId) => services.webhooks.listForProject(projectId),
    createWebhook: (projectId, input) => services.webhooks.create(projectId, checked(webhookCreateSchema, input)),
    deleteWebhook: (id) => services.webhooks.delete(id),
    close(closeOptions = {}) {
      if (closeOptions.interruptRuns) interrupt();
      return (closing ??= (async () => {
        if (!options.executeRuns) return;
        await Promise.race([Promise.allSettled(executing), interrupted]);
        // Runs still going on here are stopped, and record that they were interrupted.
        await scheduler.stop();
      })());
    },
  };
}

