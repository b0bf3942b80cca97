import type { CriterionService } from '../acceptance-criteria/criterion.service.js';
import { workspaceContext } from '../agent/prompt/workspace-context.js';
import type { AttachmentService } from '../attachments/attachment.service.js';
import type { CommentService } from '../comments/comment.service.js';
import type { ProjectService } from '../projects/project.service.js';
import type { Project } from '../projects/project.schema.js';
import type { Task } from '../tasks/task.schema.js';
import type { TaskService } from '../tasks/task.service.js';
import { readManifests, summarizeReadme } from '../workspace/discovery.js';
import { WorkspaceGit, type GitIdentity } from '../workspace/git.js';
import { seesWorkspace } from '../workspace/workspace-presence.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import { endpointsFor } from './agent-endpoints.js';
import { runCommentAuthor } from './task-prompt.js';
import type { TaskContext } from './task-context.schema.js';

export interface TaskContextDependencies {
  tasks: TaskService;
  projects: ProjectService;
  criteria: CriterionService;
  comments: CommentService;
  attachments: AttachmentService;
  workspaces: WorkspaceRoot;
  gitIdentity: GitIdentity;
  /** The embedded database: the workspaces dir is this machine's. */
  embedded: boolean;
  /** Where agents reach this server (SYSTEM_DOMAIN). */
  publicUrl: string;
  /** The server asks for a token (which commands in runs are never given). */
  tokenRequired: boolean;
}

export interface TaskContextOptions {
  concise?: boolean;
  /** Read git and files here (a run's worktree) instead of the project's workspace folder. */
  dir?: string;
  /** Read no folder: the project's is not on this machine. */
  absent?: boolean;
  signal?: AbortSignal;
}

/** How much of each list the full and the short form keep. */
const limits = {
  full: { comments: 10, commits: 10, recentFiles: 10, dirty: 50, readmeChars: 800, subtasks: 100 },
  concise: { comments: 3, commits: 3, recentFiles: 5, dirty: 20, readmeChars: 300, subtasks: 30 },
};

const everything = { limit: 5000, offset: 0 };

/**
 * A task with everything around it: its project, criteria, attachments, comments, family, the
 * workspace's git state and what its manifests say. The runs' prompt is built from this, and
 * agents read it from `GET /tasks/{id}/context`.
 */
export class TaskContextService {
  constructor(private readonly dependencies: TaskContextDependencies) {}

  async get(taskId: number, options: TaskContextOptions = {}): Promise<TaskContext> {
    const { tasks, projects } = this.dependencies;
    const task = await tasks.get(taskId);
    const project = await projects.get(task.project_id);
    return this.of(task, project, options);
  }

  async of(task: Task, project: Project, options: TaskContextOptions = {}): Promise<TaskContext> {
    const { tasks, criteria, comments, attachments } = this.dependencies;
    const concise = options.concise === true;
    const limit = concise ? limits.concise : limits.full;
    const [criteriaPage, attachmentPage, commentCount, said, runSummaries, subtaskPage, parent, workspace] = await Promise.all([
      criteria.list(task.id, everything),
      attachments.list(task.id, everything),
      comments.list(task.id, { limit: 1, offset: 0 }).then((page) => page.total),
      comments.newest(task.id, { limit: limit.comments, notAuthor: runCommentAuthor }),
      comments.newest(task.id, { limit: 1, author: runCommentAuthor }),
      tasks.listForProject(task.project_id, { parent: task.id, limit: limit.subtasks, offset: 0 }),
      task.parent_id ? tasks.get(task.parent_id).catch(() => undefined) : undefined,
      this.workspace(project, options, limit),
    ]);
    const comment = (entry: (typeof said)[number]) => ({ id: entry.id, author: entry.author, body: entry.body, created_at: entry.created_at });
    const recent = said.map(comment);
    const systemDomain = this.dependencies.publicUrl.replace(/\/+$/, '');
    return {
      concise,
      project: { id: project.id, name: project.name, workspace_path: project.workspace_path, environment: project.environment },
      system_domain: systemDomain,
      help_url: `${systemDomain}/help?task_id=${task.id}`,
      token_required: this.dependencies.tokenRequired,
      task: { id: task.id, title: task.title, status: task.status, node: task.node_name, priority: task.priority },
      objective: task.description.trim() ? `${task.title}\n\n${task.description.trim()}` : task.title,
      acceptance_criteria: criteriaPage.items.map(({ id, text, done, check }) => ({ id, text, done, check })),
      attachments: attachmentPage.items.map(({ id, file_name, content_type, size_bytes, download_url, description }) => ({ id, file_name, content_type, size_bytes, download_url, description })),
      comments: { total: commentCount, recent, last: recent.at(-1) ?? null, last_run: runSummaries[0] ? comment(runSummaries[0]) : null },
      parent: parent ? { id: parent.id, title: parent.title, status: parent.status } : null,
      subtasks: subtaskPage.items.map((subtask) => ({ id: subtask.id, title: subtask.title, status: subtask.status })),
      ...workspace,
      endpoints: endpointsFor({ task: task.id, project: project.id }),
    };
  }

  /** Git state, recent files and discovery: empty when the folder is not on this machine. */
  private async workspace(
    project: Project,
    options: TaskContextOptions,
    limit: (typeof limits)['full'],
  ): Promise<Pick<TaskContext, 'git' | 'recent_files' | 'discovery'>> {
    const { workspaces, gitIdentity, embedded } = this.dependencies;
    if (options.absent || (!options.dir && !(await seesWorkspace(project, workspaces, embedded)))) return { git: null, recent_files: [], discovery: null };
    const dir = options.dir ?? workspaces.pathOf(project.workspace_path);
    const signal = options.signal ?? new AbortController().signal;
    const [files, manifests, git] = await Promise.all([
      workspaceContext(dir, signal).catch(() => undefined),
      readManifests(dir),
      this.git(dir, gitIdentity, limit),
    ]);
    return {
      git,
      recent_files: files?.recentFiles.slice(0, limit.recentFiles) ?? [],
      discovery: {
        file_count: files?.fileCount ?? 0,
        languages: files?.languages ?? [],
        frameworks: manifests.frameworks,
        manifests: manifests.manifests,
        commands: manifests.commands,
        readme: files?.readme ? { path: files.readme.path, summary: summarizeReadme(files.readme.excerpt, limit.readmeChars) } : null,
      },
    };
  }

  private async git(dir: string, identity: GitIdentity, limit: (typeof limits)['full']): Promise<TaskContext['git']> {
    const repository = new WorkspaceGit(dir, identity);
    try {
      const status = await repository.status();
      if (!status.repository) return null;
      return {
        branch: status.branch,
        head: status.head,
        dirty: status.changes.slice(0, limit.dirty).map((change) => change.path),
        recent_commits: await repository.log(limit.commits),
      };
    } catch {
      return null;
    }
  }
}
