import type { Hub } from '../app/open-hub.js';
import type { HubClient, TaskFilter } from './hub-client.js';

const everything = { limit: 5000, offset: 0 };

/** The CLI working on the database itself. */
export function localClient(hub: Hub): HubClient {
  const { projects, tasks, criteria, comments, agent, runs, scheduler } = hub.services;
  const executing: Promise<void>[] = [];
  return {
    via: `the ${hub.database.kind === 'pglite' ? 'embedded database at' : 'PostgreSQL database'} ${hub.database.location}`,
    listProjects: (page) => projects.list(page),
    createProject: (input) => projects.create(input),
    findProject: (reference) => projects.find(reference),
    createTask: (input) => tasks.create(input),
    listTasks: (projectId, filter: TaskFilter) => tasks.listForProject(projectId, { ...filter }),
    getTask: (id) => tasks.get(id),
    listCriteria: async (taskId) => (await criteria.list(taskId, everything)).items,
    listComments: async (taskId) => (await comments.list(taskId, everything)).items,
    listSubtasks: async (task) => (await tasks.listForProject(task.project_id, { parent: task.id, ...everything })).items,
    runAgent: (request, options) => agent.run(request, options),
    async triggerRun(taskId, input) {
      // No server holds the database: this process executes this run itself, and no other.
      const { run, done } = await scheduler.triggerAndExecute(taskId, input);
      executing.push(done);
      return run;
    },
    getRun: (runId) => runs.get(runId),
    runEvents: async (runId, afterSeq) => (await runs.events(runId, { afterSeq, limit: 5000 })).items,
    cancelRun: (runId) => scheduler.cancel(runId),
    async close() {
      await Promise.allSettled(executing);
      await scheduler.stop();
      await hub.close();
    },
  };
}
