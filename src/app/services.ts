import path from 'node:path';
import { AgentService } from '../agent/agent-service.js';
import { CriterionService } from '../acceptance-criteria/criterion.service.js';
import { AttachmentStore } from '../attachments/attachment-store.js';
import { AttachmentService } from '../attachments/attachment.service.js';
import { CommentService } from '../comments/comment.service.js';
import { secretValues, type Config } from '../config/config.js';
import { ChangeFeed } from '../db/change-feed.js';
import type { Database, DatabaseConnection } from '../db/database.js';
import { HealthService } from '../health/health.service.js';
import { LogFeed } from '../logs/log-feed.js';
import { ModelCallService } from '../model-calls/model-call.service.js';
import { NodeService } from '../nodes/node.service.js';
import { ProjectGitService } from '../projects/project-git.service.js';
import { ProjectService } from '../projects/project.service.js';
import { RunQueue } from '../runs/run-queue.js';
import { RunScheduler } from '../runs/run-scheduler.js';
import { RunService } from '../runs/run.service.js';
import { RunCheckouts } from '../runs/run-checkout.js';
import { RunWorker } from '../runs/run-worker.js';
import { TaskMerger } from '../runs/task-merge.js';
import { WorkerRegistry } from '../runs/worker-registry.js';
import { WorktreeJanitor } from '../runs/worktree-janitor.js';
import { TaskContextService } from '../context/task-context.service.js';
import { TaskPromptPreview } from '../context/task-prompt-preview.js';
import { TaskImages } from '../context/task-images.js';
import { ChatService } from '../chat/chat.service.js';
import { ProjectChat } from '../chat/project-chat.js';
import { TaskService } from '../tasks/task.service.js';
import { RemoteClones } from '../workspace/remote-clones.js';
import { TaskWorktrees } from '../workspace/task-worktrees.js';
import { WorkspaceRoot } from '../workspace/workspace-root.js';
import { maxRunMinutes } from '../core/schema-helpers.js';
import { CredentialService } from '../integrations/credential.service.js';
import { MappingService } from '../integrations/mapping.service.js';
import { TrackerImport } from '../integrations/tracker-import.js';
import { TrackerSync } from '../integrations/tracker-sync.js';
import { Director } from '../director/director.js';
import { refuseDoneWithoutGates } from '../director/done-guard.js';
import { PipelineService } from '../director/pipeline.service.js';
import { StageGates } from '../director/stage-gates.js';
import { TaskPipelineService } from '../director/task-pipeline.service.js';
import { WebhookSender } from '../webhooks/webhook-sender.js';
import { WebhookService } from '../webhooks/webhook.service.js';
import { agentLog } from './agent-log.js';
import { version } from './version.js';

/** Every service, wired once: the HTTP server, the CLI and tests all use this same set. */
export interface Services {
  config: Config;
  db: Database;
  /** What changed, as it happens: for live views (the board, a run's transcript). */
  feed: ChangeFeed;
  workspaces: WorkspaceRoot;
  projects: ProjectService;
  projectGit: ProjectGitService;
  tasks: TaskService;
  comments: CommentService;
  attachments: AttachmentService;
  criteria: CriterionService;
  nodes: NodeService;
  health: HealthService;
  agent: AgentService;
  runs: RunService;
  scheduler: RunScheduler;
  /** The processes taking runs, and the workspaces dirs they serve. */
  workers: WorkerRegistry;
  merger: TaskMerger;
  /** A task with everything an agent should know about it. */
  taskContext: TaskContextService;
  /** The prompt a run of a task would send. */
  taskPrompts: TaskPromptPreview;
  chats: ChatService;
  /** Conversations with the agent in a project's workspace. */
  projectChat: ProjectChat;
  /** The latest log entries (server, model traffic, runs) for the web UI's Logs panel. */
  logs: LogFeed;
  /** Every call to the model server (the agent's and the /ollama proxy's), and usage summed from them. */
  modelCalls: ModelCallService;
  /** Tracker accounts (Asana, Jira, Linear, GitHub), their tokens sealed. */
  credentials: CredentialService;
  /** Which tracker project goes into which wfhub project. */
  mappings: MappingService;
  trackerImport: TrackerImport;
  /** Imported tasks' status and comments pushed back to their trackers (started by the server). */
  trackerSync: TrackerSync;
  /** Projects' pipelines: the roles tasks on autopilot go through. */
  pipelines: PipelineService;
  /** Where tasks are in their pipelines. */
  taskPipelines: TaskPipelineService;
  /** Takes tasks on autopilot through their pipelines (started by the server, or `wfhub director`). */
  director: Director;
  /** Projects' webhooks and their delivery log (secrets sealed, answered once). */
  webhooks: WebhookService;
  /** POSTs the pending deliveries, signed, retried with backoff (started by the server). */
  webhookSender: WebhookSender;
}

export interface ServiceOptions {
  /** Where operator warnings go (commands running without a sandbox, say). */
  onWarning?: (message: string) => void;
  /** Where failures nobody awaits go (a run's worker, the queue). */
  onError?: (error: unknown, context: string) => void;
  /** Where a push to a tracker that failed (and will be retried) is told, for the operator's log. */
  onTrackerSyncFailure?: (link: { task_id: number; provider: string }, message: string) => void;
  /** Where the director's moves are told, for the operator's log. */
  onDirectorMove?: (taskId: number, message: string) => void;
  /** Where runs starting and ending in this process are told, for the operator's log. */
  onRun?: (run: { id: number; task_id: number; status: string }, message: string) => void;
  /** Where a webhook delivery that failed is told (retried at `retryAt`, or given up), for the operator's log. */
  onWebhookFailure?: (delivery: { id: number; webhook_id: number; event: string; host: string; attempts: number }, message: string, retryAt: Date | undefined) => void;
  /**
   * The Logs panel's feed, when the logger already writes to it (the server's); otherwise a
   * feed of its own, hiding the configuration's secrets.
   */
  logs?: LogFeed;
}

export function createServices(db: Database, connection: DatabaseConnection, config: Config, options: ServiceOptions = {}): Services {
  const workspaces = new WorkspaceRoot(config.workspacesDir);
  const attachments = new AttachmentService(
    db,
    new AttachmentStore(path.join(config.dataDir, 'attachments'), config.attachmentMaxBytes),
  );
  const gitIdentity = { name: config.gitUserName, email: config.gitUserEmail };
  const worktrees = new TaskWorktrees(path.join(config.dataDir, 'worktrees'), gitIdentity);
  const clones = new RemoteClones(path.join(config.dataDir, 'clones'), gitIdentity);
  const checkouts = new RunCheckouts({ workspaces, worktrees, clones, gitIdentity, embedded: connection.kind === 'pglite' });
  const feed = new ChangeFeed(connection, { onError: (error) => options.onError?.(error, 'change feed') });
  // Made below; a role a pipeline names is not deleted.
  let pipelines: PipelineService | undefined;
  const nodes = new NodeService(db, { beforeDelete: (transaction, name) => pipelines!.refuseIfUsed(transaction, name) });
  // Made below; tasks are not deleted while their runs run.
  let runs: RunService | undefined;
  const beforeDelete = (transaction: Database, taskIds: readonly number[]) => runs!.refuseIfRunning(transaction, taskIds);
  const projects = new ProjectService(db, workspaces, attachments, feed, { beforeDelete });
  const tasks = new TaskService(db, nodes, attachments, feed, { beforeDelete, beforeUpdate: refuseDoneWithoutGates });
  const comments = new CommentService(db, feed);
  const criteria = new CriterionService(db);
  pipelines = new PipelineService(db, nodes);
  const taskContext = new TaskContextService({
    tasks,
    projects,
    criteria,
    comments,
    attachments,
    workspaces,
    gitIdentity,
    embedded: connection.kind === 'pglite',
    publicUrl: config.publicUrl,
    tokenRequired: config.token !== undefined,
  });
  const logs = options.logs ?? new LogFeed({ secrets: secretValues(config) });
  const modelCalls = new ModelCallService(db, logs, {
    onError: (error) => options.onError?.(error, 'model-call log'),
    secrets: secretValues(config),
    keepDays: config.modelCallDays,
  });
  const agent = new AgentService(config, workspaces, nodes, projects, {
    onWarning: options.onWarning,
    observe: agentLog(logs),
    recordCall: (exchange, about) =>
      void modelCalls.record(exchange, 'agent', {
        run_id: typeof about.run_id === 'number' ? about.run_id : undefined,
        conversation_id: typeof about.conversation_id === 'number' ? about.conversation_id : undefined,
      }),
  });
  const taskImages = new TaskImages({ attachments, agent });
  const chats = new ChatService(db);
  // A job is held while its run executes, and a run may last as long as the longest limit a
  // project or role may set (a day, the queue's own maximum). Runs end by their own limits and
  // leases; a job delivered again finds its run taken.
  const queue = new RunQueue(connection, { jobExpirySeconds: maxRunMinutes * 60, onError: (error) => options.onError?.(error, 'run queue') });
  // The scheduler routes every job; the record keepers below are made before it and call it later.
  let scheduler: RunScheduler | undefined;
  runs = new RunService(db, nodes, feed, { enqueue: (transaction, runId, route) => scheduler!.enqueueIn(transaction, runId, route) });
  const worker = new RunWorker({
    requeue: (runId) => scheduler!.requeue(runId),
    runs,
    tasks,
    projects,
    comments,
    taskContext,
    taskImages,
    agent,
    workspaces,
    worktrees,
    clones,
    checkouts,
    gitIdentity,
    onError: (error, runId) => options.onError?.(error, `run ${runId}`),
    onRun: options.onRun,
    gates: new StageGates({ db, criteria, pipelines, agent, nodes }),
  });
  const workers = new WorkerRegistry(db, { id: worker.id, workspaces, concurrency: config.maxConcurrentRuns, version });
  scheduler = new RunScheduler(runs, queue, worker, {
    concurrency: config.maxConcurrentRuns,
    embedded: connection.kind === 'pglite',
    workspaces,
    janitor: new WorktreeJanitor({ feed, projects, tasks, workspaces, worktrees, clones, gitIdentity, onError: (error) => options.onError?.(error, 'worktree cleanup') }),
    registry: workers,
    adoptProjects: () => projects.adoptUnplaced(),
  });
  const credentials = new CredentialService(db, { secretKey: config.secretKey, dataDir: config.dataDir });
  const mappings = new MappingService(db, credentials);
  const webhooks = new WebhookService(db, { secretKey: config.secretKey, dataDir: config.dataDir });
  return {
    config,
    db,
    feed,
    workspaces,
    projects,
    projectGit: new ProjectGitService(projects, workspaces, gitIdentity, connection.kind === 'pglite'),
    tasks,
    comments,
    attachments,
    criteria,
    nodes,
    health: new HealthService(db, config, version),
    agent,
    runs,
    scheduler,
    workers,
    taskContext,
    taskPrompts: new TaskPromptPreview({ tasks, projects, taskContext, taskImages, agent, checkoutFor: (project, task) => checkouts.previewDir(project, task) }),
    chats,
    projectChat: new ProjectChat({ projects, chats, agent, workspaces, embedded: connection.kind === 'pglite' }),
    merger: new TaskMerger({ tasks, projects, runs, comments, workspaces, worktrees, clones, checkouts, gitIdentity }),
    logs,
    modelCalls,
    credentials,
    mappings,
    trackerImport: new TrackerImport(db, feed, credentials, mappings),
    trackerSync: new TrackerSync(db, feed, credentials, { onError: (error) => options.onError?.(error, 'tracker sync'), onFailure: options.onTrackerSyncFailure }),
    pipelines,
    taskPipelines: new TaskPipelineService(db),
    webhooks,
    webhookSender: new WebhookSender(db, feed, webhooks, {
      userAgent: `wfhub/${version}`,
      onError: (error) => options.onError?.(error, 'webhook sender'),
      onFailure: options.onWebhookFailure,
    }),
    director: new Director(db, feed, runs, scheduler, pipelines, {
      onError: (error, taskId) => options.onError?.(error, taskId === undefined ? 'director' : `director, task ${taskId}`),
      onMove: options.onDirectorMove,
    }),
  };
}
