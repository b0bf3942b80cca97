import { Agent, fetch as undiciFetch } from 'undici';
import type { AgentEvent } from '../agent/loop/agent-events.js';
import type { ChatMessage } from '../chat/chat.schema.js';
import type { ChatEvent } from '../chat/project-chat.js';
import type { AgentResult } from '../agent/loop/agent-result.js';
import type { Criterion } from '../acceptance-criteria/criterion.schema.js';
import type { Comment } from '../comments/comment.schema.js';
import type { PromptPreviewAnswer, TaskContext } from '../context/task-context.schema.js';
import type { PageOf } from '../core/schema-helpers.js';
import type { Credential, ExternalTaskListed, ImportResult, Mapping, TrackerInfo } from '../integrations/integration.schema.js';
import type { ExternalProject } from '../integrations/tracker-provider.js';
import type { Project } from '../projects/project.schema.js';
import type { Run, RunEvent } from '../runs/run.schema.js';
import type { Task } from '../tasks/task.schema.js';
import type { Pipeline } from '../director/pipeline.schema.js';
import type { TaskPipeline } from '../director/task-pipeline.schema.js';
import type { Webhook, WebhookWithSecret } from '../webhooks/webhook.schema.js';
import { ApiError, type HubClient, type ImportProgressEvent } from '../app/hub-client.js';

const untimedAgent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

/** How long a prompt preview may take through a server (the first describes the task's images). */
const previewTimeoutMs = 15 * 60_000;

/** How long a call that reads a tracker may take (every page of a large project, rate limits waited out). */
const trackerTimeoutMs = 10 * 60_000;

/** The CLI talking to a running wfhub server (which holds the embedded database). */
export function httpClient(baseUrl: string, token: string | undefined): HubClient {
  /** `timeoutMs`: how long the answer may take (30 s; longer for work such as describing images). */
  async function call<T>(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<{ data: T; total: number }> {
    let response: Awaited<ReturnType<typeof undiciFetch>>;
    try {
      // The signal is the one timeout: undici's own (5 min for the headers) would cut long work.
      response = await undiciFetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...(token && { authorization: `Bearer ${token}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher: untimedAgent,
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new Error(`The wfhub server at ${baseUrl} did not answer ${method} ${path.split('?')[0]} within ${Math.round(timeoutMs / 1000)} s; its log may say why.`, { cause: error });
      }
      throw new Error(`Cannot reach the wfhub server at ${baseUrl}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(response.status, 'invalid_response', `${baseUrl} did not answer like a wfhub server (HTTP ${response.status}).`);
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      if (response.status === 401) {
        throw new ApiError(401, error?.code ?? 'unauthorized', `The wfhub server at ${baseUrl} needs its token: set WFHUB_TOKEN (in the environment or .env) to the server's value.`);
      }
      throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status}`);
    }
    return { data: parsed as T, total: Number(response.headers.get('x-total-count') ?? 0) };
  }
  const page = async <T>(path: string): Promise<PageOf<T>> => {
    const { data, total } = await call<T[]>('GET', path);
    return { items: data, total };
  };

  /**
   * POSTs `body` and hands each NDJSON line of the answer to `onEvent` as it arrives. No timeout:
   * a step on a small local model (a slow first token, a 10-minute command) can send nothing for
   * many minutes; the signal (Ctrl-C) stops it, and closing the connection stops it on the server.
   */
  async function stream(path: string, body: unknown, signal: AbortSignal | undefined, stopped: string, onEvent: (event: { type: string }) => Promise<void>) {
    let response;
    try {
      response = await undiciFetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
        signal,
        dispatcher: untimedAgent,
      });
    } catch (error) {
      if (signal?.aborted) throw new Error(stopped, { cause: error });
      throw new Error(`Cannot reach the wfhub server at ${baseUrl}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok || !response.body) {
      const text = await response.text();
      let message = `HTTP ${response.status}`;
      let code = 'http_error';
      try {
        const error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        message = error?.message ?? message;
        code = error?.code ?? code;
      } catch {
        // Keep the status.
      }
      throw new ApiError(response.status, code, message);
    }
    let buffer = '';
    const decoder = new TextDecoder();
    const handle = async (line: string) => {
      if (line.trim() === '') return;
      const event = JSON.parse(line) as { type: string; error?: { code: string; message: string } };
      if (event.type === 'error' && event.error) throw new ApiError(500, event.error.code, event.error.message);
      await onEvent(event);
    };
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline = buffer.indexOf('\n');
        while (newline !== -1) {
          await handle(buffer.slice(0, newline));
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
        }
      }
      await handle(buffer);
    } catch (error) {
      if (signal?.aborted) throw new Error(stopped, { cause: error });
      throw error;
    }
  }

  return {
    via: `the wfhub server at ${baseUrl}`,
    listProjects: ({ limit, offset }) => page<Project>(`/projects?limit=${limit}&offset=${offset}`),
    createProject: async (input) => (await call<Project>('POST', '/projects', input)).data,
    async findProject(reference) {
      if (/^\d+$/.test(reference)) {
        try {
          return (await call<Project>('GET', `/projects/${reference}`)).data;
        } catch (error) {
          if (!(error instanceof ApiError) || error.status !== 404) throw error;
        }
      }
      const [found] = (await page<Project>(`/projects?${new URLSearchParams({ name: reference, limit: '1' })}`)).items;
      if (!found) throw new ApiError(404, 'not_found', `project ${reference} does not exist. Check the id, or list projects to find it.`);
      return found;
    },
    createTask: async (input) => (await call<Task>('POST', '/tasks', input)).data,
    listTasks: (projectId, filter) => {
      const query = new URLSearchParams({ limit: String(filter.limit), offset: String(filter.offset) });
      if (filter.status?.length) query.set('status', filter.status.join(','));
      return page<Task>(`/projects/${projectId}/tasks?${query}`);
    },
    getTask: async (id) => (await call<Task>('GET', `/tasks/${id}`)).data,
    updateTask: async (id, input) => (await call<Task>('PATCH', `/tasks/${id}`, input)).data,
    getPipeline: async (projectId) => (await call<Pipeline>('GET', `/projects/${projectId}/pipeline`)).data,
    setPipeline: async (projectId, input) => (await call<Pipeline>('PUT', `/projects/${projectId}/pipeline`, input)).data,
    getTaskPipeline: async (taskId) => (await call<TaskPipeline | null>('GET', `/tasks/${taskId}/pipeline`)).data,
    overrideTask: async (taskId, input) => (await call<Task>('POST', `/tasks/${taskId}/override`, input)).data,
    getTaskContext: async (taskId, { concise }) => (await call<TaskContext>('GET', `/tasks/${taskId}/context?concise=${concise}`)).data,
    // A preview may first have the vision model describe the task's images: minutes on a CPU.
    previewPrompt: async (taskId, request) => (await call<PromptPreviewAnswer>('POST', `/tasks/${taskId}/prompt`, request, previewTimeoutMs)).data,
    listCriteria: async (taskId) => (await page<Criterion>(`/tasks/${taskId}/acceptance-criteria?limit=5000`)).items,
    listComments: async (taskId) => (await page<Comment>(`/tasks/${taskId}/comments?limit=5000`)).items,
    async recentComments(taskId, count) {
      const first = await page<Comment>(`/tasks/${taskId}/comments?limit=${Math.max(count, 1)}`);
      if (first.total <= count) return first;
      if (count < 1) return { items: [], total: first.total };
      return page<Comment>(`/tasks/${taskId}/comments?limit=${count}&offset=${first.total - count}`);
    },
    addComment: async (taskId, input) => (await call<Comment>('POST', `/tasks/${taskId}/comments`, input)).data,
    listSubtasks: async (task) => (await page<Task>(`/projects/${task.project_id}/tasks?parent=${task.id}&limit=5000`)).items,
    triggerRun: async (taskId, input) => (await call<Run>('POST', `/tasks/${taskId}/trigger`, input)).data,
    getRun: async (runId) => (await call<Run>('GET', `/runs/${runId}`)).data,
    runEvents: async (runId, afterSeq) => (await call<RunEvent[]>('GET', `/runs/${runId}/events?after=${afterSeq}&limit=5000`)).data,
    async recentRunEvents(runId, count) {
      const first = await page<RunEvent>(`/runs/${runId}/events?limit=${Math.max(count, 1)}`);
      if (first.total <= count) return first;
      // Sequence numbers start at 1: at least `count` events come after total - count.
      const tail = await page<RunEvent>(`/runs/${runId}/events?after=${first.total - count}&limit=5000`);
      return { items: tail.items.slice(Math.max(0, tail.items.length - count)), total: tail.total };
    },
    cancelRun: async (runId) => (await call<Run>('POST', `/runs/${runId}/cancel`)).data,
    async runAgent(request, options) {
      let result: AgentResult | undefined;
      await stream('/api/agent/run?stream=true', request, options.signal, 'The run was cancelled.', async (event) => {
        const agentEvent = event as AgentEvent;
        if (agentEvent.type === 'run.finished' || agentEvent.type === 'run.failed') result = agentEvent.result;
        await options.onEvent?.(agentEvent);
      });
      if (!result) throw new Error(`The wfhub server at ${baseUrl} ended the run's stream without a result.`);
      return result;
    },
    async chat(projectId, request, options) {
      let reply: ChatMessage | undefined;
      await stream(`/projects/${projectId}/chat`, request, options.signal, 'The chat was stopped.', async (event) => {
        const chatEvent = event as ChatEvent;
        if (chatEvent.type === 'chat.finished') reply = chatEvent.message;
        await options.onEvent?.(chatEvent);
      });
      if (!reply) throw new Error(`The wfhub server at ${baseUrl} ended the chat's stream without an answer.`);
      return reply;
    },
    listTrackers: async () => (await call<TrackerInfo[]>('GET', '/integrations/providers')).data,
    listCredentials: async () => (await call<Credential[]>('GET', '/integrations/credentials')).data,
    createCredential: async (input) => (await call<Credential>('POST', '/integrations/credentials', input, trackerTimeoutMs)).data,
    listExternalProjects: async (credentialId) => (await call<ExternalProject[]>('GET', `/integrations/credentials/${credentialId}/projects`, undefined, trackerTimeoutMs)).data,
    createMapping: async (input) => (await call<Mapping>('POST', '/integrations/project-mapping', input, trackerTimeoutMs)).data,
    listMappings: async (filter) =>
      (await call<Mapping[]>('GET', `/integrations/mappings${filter.project_id === undefined ? '' : `?project_id=${filter.project_id}`}`)).data,
    listExternalTasks: async (mappingId) => (await call<ExternalTaskListed[]>('GET', `/integrations/${mappingId}/tasks`, undefined, trackerTimeoutMs)).data,
    async importTasks(body, options) {
      let result: ImportResult | undefined;
      await stream('/integrations/import?stream=true', body, options.signal, 'Stopped following the import; it goes on in the server (import again later to see the counts).', async (event) => {
        const importEvent = event as ImportProgressEvent;
        if (importEvent.type === 'import.finished') result = importEvent.result;
        options.onEvent?.(importEvent);
      });
      if (!result) throw new Error(`The wfhub server at ${baseUrl} ended the import's stream without its counts; what was imported stays, and running it again picks up the rest.`);
      return result;
    },
    listWebhooks: async (projectId) => (await call<Webhook[]>('GET', `/projects/${projectId}/webhooks`)).data,
    createWebhook: async (projectId, input) => (await call<WebhookWithSecret>('POST', `/projects/${projectId}/webhooks`, input)).data,
    deleteWebhook: async (id) => {
      await call<undefined>('DELETE', `/webhooks/${id}`);
    },
    close: async () => {},
  };
}
