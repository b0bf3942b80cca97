import type { AgentRunOptions, AgentRunRequest } from '../agent/agent-service.js';
import type { AgentResult } from '../agent/loop/agent-result.js';
import type { Criterion } from '../acceptance-criteria/criterion.schema.js';
import type { ChatMessage, ChatRequest } from '../chat/chat.schema.js';
import type { ChatEvent } from '../chat/project-chat.js';
import type { Comment, CommentCreate } from '../comments/comment.schema.js';
import type { PromptPreviewAnswer, TaskContext } from '../context/task-context.schema.js';
import type { PageOf } from '../core/schema-helpers.js';
import type {
  Credential,
  CredentialCreate,
  ExternalTaskListed,
  ImportBody,
  ImportEvent,
  ImportResult,
  Mapping,
  MappingCreate,
  TrackerInfo,
} from '../integrations/integration.schema.js';
import type { ExternalProject } from '../integrations/tracker-provider.js';
import type { Project, ProjectCreate } from '../projects/project.schema.js';
import type { Run, RunEvent, RunTrigger } from '../runs/run.schema.js';
import type { Task, TaskCreate, TaskUpdate } from '../tasks/task.schema.js';
import type { Pipeline, PipelineUpdate } from '../director/pipeline.schema.js';
import type { PipelineOverride, TaskPipeline } from '../director/task-pipeline.schema.js';
import type { TaskStatus } from '../tasks/task-fields.js';
import type { Webhook, WebhookCreate, WebhookWithSecret } from '../webhooks/webhook.schema.js';

/** An error answered by the server, with its message (which says what to do). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a streamed import tells as it goes (an error ends it as a thrown error instead). */
export type ImportProgressEvent = Exclude<ImportEvent, { type: 'error' }>;

export interface TaskFilter {
  status?: TaskStatus[];
  limit: number;
  offset: number;
}

/**
 * What the CLI and the MCP tools need from wfhub. Two implementations: the services in this
 * process (when no server holds the embedded database, and inside the server for /mcp) and a
 * running server's HTTP API (when one does).
 */
export interface HubClient {
  /** How this client reaches the data, for `--verbose` and error messages. */
  readonly via: string;
  listProjects(page: { limit: number; offset: number }): Promise<PageOf<Project>>;
  createProject(input: ProjectCreate): Promise<Project>;
  findProject(reference: string): Promise<Project>;
  createTask(input: TaskCreate): Promise<Task>;
  listTasks(projectId: number, filter: TaskFilter): Promise<PageOf<Task>>;
  getTask(id: number): Promise<Task>;
  updateTask(id: number, input: TaskUpdate): Promise<Task>;
  getPipeline(projectId: number): Promise<Pipeline>;
  setPipeline(projectId: number, input: PipelineUpdate): Promise<Pipeline>;
  /** Where the task is in its pipeline; null before autopilot took it. */
  getTaskPipeline(taskId: number): Promise<TaskPipeline | null>;
  /** Marks the task done although its gates did not pass, recording who and why. */
  overrideTask(taskId: number, input: PipelineOverride): Promise<Task>;
  /** Everything an agent should know before working on a task. */
  getTaskContext(taskId: number, options: { concise: boolean }): Promise<TaskContext>;
  /** The prompt a run of the task would send now. */
  previewPrompt(taskId: number, request: { node?: string; model?: string; message?: string }): Promise<PromptPreviewAnswer>;
  listCriteria(taskId: number): Promise<Criterion[]>;
  listComments(taskId: number): Promise<Comment[]>;
  /** A task's `count` newest comments (oldest first), and how many it has. */
  recentComments(taskId: number, count: number): Promise<PageOf<Comment>>;
  addComment(taskId: number, input: CommentCreate): Promise<Comment>;
  listSubtasks(task: Task): Promise<Task[]>;
  /** Queues a run of a task. In this process (no server), runs are executed here too. */
  triggerRun(taskId: number, input: RunTrigger): Promise<Run>;
  getRun(runId: number): Promise<Run>;
  /** A run's recorded events after `afterSeq`, in order. */
  runEvents(runId: number, afterSeq: number): Promise<RunEvent[]>;
  /** A run's `count` last events (in order), and how many it has recorded. */
  recentRunEvents(runId: number, count: number): Promise<PageOf<RunEvent>>;
  cancelRun(runId: number): Promise<Run>;
  /** Talks with the agent in a project's workspace, passing each event on; resolves with its answer. */
  chat(projectId: number, request: ChatRequest, options: { signal?: AbortSignal; onEvent?: (event: ChatEvent) => void | Promise<void> }): Promise<ChatMessage>;
  /** Runs the agent, passing each event on as it happens; resolves with the result. */
  runAgent(request: AgentRunRequest, options: AgentRunOptions): Promise<AgentResult>;
  /** The trackers wfhub imports from, and what each needs. */
  listTrackers(): Promise<TrackerInfo[]>;
  /** The tracker credentials kept (never their tokens). */
  listCredentials(): Promise<Credential[]>;
  /**
   * Keeps a tracker credential once the tracker accepts its token; a refused one is not kept. A
   * token for an account kept at the same place renews that credential instead.
   */
  createCredential(input: CredentialCreate): Promise<Credential>;
  /** The tracker's projects a credential sees (Jira projects, Linear teams, GitHub repositories, Asana projects). */
  listExternalProjects(credentialId: number): Promise<ExternalProject[]>;
  /** Maps a tracker project into a wfhub project; mapping the same pair again answers the mapping there is. */
  createMapping(input: MappingCreate): Promise<Mapping>;
  listMappings(filter: { project_id?: number }): Promise<Mapping[]>;
  /** The tracker project's tasks, each saying whether (and as which task) it is imported. */
  listExternalTasks(mappingId: number): Promise<ExternalTaskListed[]>;
  /** Imports a mapping's tasks (all, or those named), passing progress on; resolves with the counts. */
  /**
   * Imports, passing progress on. `signal` stops following it: here, the import stops after the
   * tasks under way (what was written stays); through a server, it goes on there.
   */
  importTasks(body: ImportBody, options: { onEvent?: (event: ImportProgressEvent) => void; signal?: AbortSignal }): Promise<ImportResult>;
  /** A project's webhooks (never their secrets). */
  listWebhooks(projectId: number): Promise<Webhook[]>;
  /** Adds a webhook to a project; the answer holds its secret, this once. */
  createWebhook(projectId: number, input: WebhookCreate): Promise<WebhookWithSecret>;
  deleteWebhook(id: number): Promise<void>;
  /**
   * Releases what the client holds. Runs this process executes itself (no server) are waited
   * for, unless `interruptRuns`: then they are stopped and end interrupted.
   */
  close(options?: { interruptRuns?: boolean }): Promise<void>;
}
