import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { OneAtATime } from '../core/one-at-a-time.js';
import { WorkspaceGit, type GitIdentity } from './git.js';

/**
 * This process's own clones of projects' git remotes, for projects whose workspace folder it
 * cannot see: one per project under `<data dir>/clones/<project id>`, fetched before each use.
 * Their own checkout is never used; tasks work in worktrees of them.
 */
export class RemoteClones {
  /** One clone or fetch of a project's clone at a time. */
  private readonly perProject = new OneAtATime<number>();

  constructor(
    readonly root: string,
    private readonly identity: GitIdentity,
  ) {}

  pathFor(projectId: number): string {
    return path.join(this.root, String(projectId));
  }

  /** The project's clone, made on first use and fetched (`origin` pruned to the remote's branches). */
  ensure(projectId: number, remote: string): Promise<WorkspaceGit> {
    return this.perProject.run(projectId, () => this.ensureNow(projectId, remote));
  }

  private async ensureNow(projectId: number, remote: string): Promise<WorkspaceGit> {
    const dir = this.pathFor(projectId);
    const clone = new WorkspaceGit(dir, this.identity);
    if (existsSync(path.join(dir, '.git')) && (await clone.isRepository())) {
      const url = (await clone.run(['remote', 'get-url', 'origin'], { allowFailure: true })).trim();
      if (url !== remote) await clone.run(['remote', 'set-url', 'origin', remote]);
    } else {
      await rm(dir, { recursive: true, force: true });
      await mkdir(this.root, { recursive: true });
      await new WorkspaceGit(this.root, this.identity).run(['clone', '-q', '--no-checkout', '--', remote, dir]);
    }
    await clone.run(['fetch', '-q', '--prune', '--no-tags', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
    return clone;
  }

  /** The remote's default branch as the clone knows it (origin/HEAD), if it has one. */
  async defaultBranch(clone: WorkspaceGit): Promise<string | undefined> {
    const head = (await clone.run(['symbolic-ref', '-q', '--short', 'refs/remotes/origin/HEAD'], { allowFailure: true })).trim();
    return head ? head.replace(/^origin\//, '') : undefined;
  }
}
