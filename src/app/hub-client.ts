import type { AgentRunOptions, AgentRunRequest } from '../agent/agent-service.js';
import type { AgentResult } from '../agent/loop/agent-result.js';
import type { Criterion } from '../acceptance-criteria/criterion.schema.js';
import type { Comment } from '../comments/comment.schema.js';
import type { PageOf } from '../core/schema-helpers.js';
import type { Project, ProjectCreate } from '../projects/project.schema.js';
import type { Run, RunEvent, RunTrigger } from '../runs/run.schema.js';
import type { Task, TaskCreate } from '../tasks/task.schema.js';
import type { TaskStatus } from '../tasks/task-fields.js';

export interface TaskFilter {
  status?: TaskStatus[];
  limit: number;
  offset: number;
}

/**
 * What the CLI needs from wfhub. Two implementations: the services in this process (when no
 * server holds the embedded database) and a running server's HTTP API (when one does).
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
  listCriteria(taskId: number): Promise<Criterion[]>;
  listComments(taskId: number): Promise<Comment[]>;
  listSubtasks(task: Task): Promise<Task[]>;
  /** Queues a run of a task. In this process (no server), runs are executed here too. */
  triggerRun(taskId: number, input: RunTrigger): Promise<Run>;
  getRun(runId: number): Promise<Run>;
  /** A run's recorded events after `afterSeq`, in order. */
  runEvents(runId: number, afterSeq: number): Promise<RunEvent[]>;
  cancelRun(runId: number): Promise<Run>;
  /** Runs the agent, passing each event on as it happens; resolves with the result. */
  runAgent(request: AgentRunRequest, options: AgentRunOptions): Promise<AgentResult>;
  close(): Promise<void>;
}
