import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { NotFoundError } from '../core/errors.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { ProjectService } from '../projects/project.service.js';
import type { TaskService } from '../tasks/task.service.js';
import { WorkspaceGit, type GitIdentity } from '../workspace/git.js';
import type { RemoteClones } from '../workspace/remote-clones.js';
import { taskBranch, type TaskWorktrees } from '../workspace/task-worktrees.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';

/**
 * Removes task worktrees that nobody needs any more, so they do not pile up on disk: a deleted
 * task's (its branch's commits kept under refs/wfhub/deleted/), a deleted project's, and at start
 * those whose task went while this process was not running. Only worktree folders are removed,
 * never a repository or its objects.
 */
export class WorktreeJanitor {
  private unsubscribe: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly dependencies: {
      feed: ChangeFeed;
      projects: ProjectService;
      tasks: TaskService;
      workspaces: WorkspaceRoot;
      worktrees: TaskWorktrees;
      clones: RemoteClones;
      gitIdentity: GitIdentity;
      onError?: (error: unknown) => void;
    },
  ) {}

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    const { feed, worktrees, tasks } = this.dependencies;
    this.unsubscribe = feed.subscribe((change) => {
      if ((change.kind !== 'task' && change.kind !== 'project') || change.op !== 'deleted') return;
      this.queue = this.queue
        .then(() => (change.kind === 'task' ? this.taskDeleted(change.project_id, change.id) : this.projectDeleted(change.id)))
        .catch((error: unknown) => this.dependencies.onError?.(error));
    });
    await worktrees
      // Only a task certainly gone loses its folder: a database that is briefly away stops the sweep.
      .sweep(async (_projectId, taskId) =>
        tasks.get(taskId).then(
          () => true,
          (error: unknown) => {
            if (error instanceof NotFoundError) return false;
            throw error;
          },
        ),
      )
      .catch((error: unknown) => this.dependencies.onError?.(error));
  }

  private async taskDeleted(projectId: number, taskId: number): Promise<void> {
    const { projects, workspaces, worktrees, clones, gitIdentity } = this.dependencies;
    const project = await projects.get(projectId).catch(() => undefined);
    if (!project) return this.projectDeleted(projectId);
    // The task's worktree is of the workspace's repository, or of this process's clone of the remote.
    for (const dir of [workspaces.pathOf(project.workspace_path), clones.pathFor(projectId)]) {
      const repository = new WorkspaceGit(dir, gitIdentity);
      if (!existsSync(dir) || !(await repository.isRepository())) continue;
      if ((await worktrees.find(repository, projectId, taskId)) || (await repository.resolve(`refs/heads/${taskBranch(taskId)}`))) {
        await worktrees.remove(repository, projectId, taskId, { keepBranch: false });
      }
    }
  }

  /** The project's worktree folders; its repository keeps the task branches, and forgets the worktrees at its next prune. */
  private async projectDeleted(projectId: number): Promise<void> {
    await this.dependencies.worktrees.removeProject(projectId);
    await rm(this.dependencies.clones.pathFor(projectId), { recursive: true, force: true });
  }

  /** Resolves once the removals heard so far are done. */
  settled(): Promise<void> {
    return this.queue;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}
