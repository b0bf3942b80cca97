import { existsSync } from 'node:fs';
import { ConflictError } from '../core/errors.js';
import type { WorkspaceRoot } from './workspace-root.js';

/** What a project says about where its folder is. */
export interface PlacedProject {
  id: number;
  workspace_path: string;
  workspaces_id: string | null;
}

/**
 * Whether this process sees a project's workspace folder: its workspaces dir is the one the
 * project lives in (on the embedded database one process does everything, so always).
 */
export async function seesWorkspace(project: PlacedProject, workspaces: WorkspaceRoot, embedded: boolean): Promise<boolean> {
  if (embedded) return true;
  if (project.workspaces_id !== null) return project.workspaces_id === (await workspaces.id());
  return existsSync(workspaces.pathOf(project.workspace_path));
}

/** The refusal for work on a folder this process cannot see. */
export function workspaceNotHere(project: PlacedProject, workspaces: WorkspaceRoot, what: string): ConflictError {
  return new ConflictError(
    'workspace_not_here',
    `Project ${project.id}'s workspace folder is not on this machine (this process serves ${workspaces.dir}), so ${what} here. Ask the server or worker that serves its workspaces dir (GET /workers)${what.includes('run') ? ', or set settings.git_remote so any worker can clone it' : ''}.`,
    { workspaces_id: project.workspaces_id },
  );
}
