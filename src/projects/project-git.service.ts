import { WorkspaceGit, type GitIdentity } from '../workspace/git.js';
import type { GitStatus } from '../workspace/git.schema.js';
import { seesWorkspace, workspaceNotHere } from '../workspace/workspace-presence.js';
import type { WorkspaceRoot } from '../workspace/workspace-root.js';
import type { ProjectService } from './project.service.js';

/** What git says about a project's workspace: status, recent commits, uncommitted changes. */
export class ProjectGitService {
  constructor(
    private readonly projects: ProjectService,
    private readonly workspaces: WorkspaceRoot,
    private readonly identity: GitIdentity,
    private readonly embedded: boolean,
  ) {}

  private async repository(projectId: number): Promise<WorkspaceGit> {
    const project = await this.projects.get(projectId);
    if (!(await seesWorkspace(project, this.workspaces, this.embedded))) throw workspaceNotHere(project, this.workspaces, 'its git state cannot be read');
    return new WorkspaceGit(this.workspaces.pathOf(project.workspace_path), this.identity);
  }

  async status(projectId: number): Promise<GitStatus> {
    return (await this.repository(projectId)).status();
  }

  async log(projectId: number, limit: number) {
    return (await this.repository(projectId)).log(limit);
  }

  async diff(projectId: number): Promise<string> {
    return (await this.repository(projectId)).uncommittedDiff();
  }
}
