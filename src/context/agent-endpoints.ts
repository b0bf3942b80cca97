import type { EndpointHint } from './task-context.schema.js';

/** An endpoint an agent may call, with an example for `GET /help`. */
export interface AgentEndpoint extends EndpointHint {
  /** A JSON body to send, when the endpoint takes one. */
  body?: Record<string, unknown>;
}

/**
 * What an agent working on a task may call on this server: read its task, leave a comment,
 * tick a criterion, add a subtask, mark a status. Short on purpose: every line of it goes into
 * small models' prompts. `{task}` and `{project}` are filled with the task's and project's ids.
 */
export const agentEndpoints: readonly AgentEndpoint[] = [
  { method: 'GET', path: '/tasks/{task}/context?concise=true', description: 'This task with its criteria, comments, git state and project facts' },
  { method: 'GET', path: '/tasks/{task}', description: 'The task' },
  { method: 'GET', path: '/tasks/{task}/comments', description: "The task's comments" },
  { method: 'POST', path: '/tasks/{task}/comments', description: 'Add a comment to the task', body: { author: 'agent', body: 'What I found' } },
  { method: 'GET', path: '/tasks/{task}/acceptance-criteria', description: "The task's acceptance criteria" },
  { method: 'PATCH', path: '/acceptance-criteria/{criterion_id}', description: 'Mark a criterion met', body: { done: true } },
  { method: 'POST', path: '/tasks', description: 'Add a subtask', body: { project_id: 0, parent_id: 0, title: 'A smaller step', acceptance_criteria: ['How to check it'] } },
  { method: 'PATCH', path: '/tasks/{task}', description: "Change the task's status", body: { status: 'review' } },
  { method: 'GET', path: '/projects/{project}/tasks', description: "The project's tasks" },
  { method: 'GET', path: '/help', description: 'This list, with examples' },
];

/** The endpoints with the task's and project's ids in place. */
export function endpointsFor(ids: { task?: number; project?: number }): EndpointHint[] {
  return agentEndpoints.map(({ method, path, description }) => ({
    method,
    path: path.replace('{task}', ids.task === undefined ? '{task_id}' : String(ids.task)).replace('{project}', ids.project === undefined ? '{project_id}' : String(ids.project)),
    description,
  }));
}
