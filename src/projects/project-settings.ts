import type { Project } from './project.schema.js';

/** The project's git remote, when its settings name one. */
export function projectRemote(project: Pick<Project, 'settings'>): string | undefined {
  return typeof project.settings.git_remote === 'string' ? project.settings.git_remote : undefined;
}

/** The branch its task branches start from and merge into, when its settings name one. */
export function projectBaseBranch(project: Pick<Project, 'settings'>): string | undefined {
  return typeof project.settings.base_branch === 'string' ? project.settings.base_branch : undefined;
}
