import type { ExternalTaskListed } from '../integrations/integration.schema.js';
import { plain } from './format.js';

interface Named {
  id: string;
  name: string;
}

/** The forms a project may be named by: its id, its name and, for a name such as "Shop (SHOP)", "Shop" and "SHOP". */
function formsOf(project: Named): string[] {
  const forms = [project.id, project.name];
  const keyed = /^(.*\S)\s+\(([^()]+)\)$/.exec(project.name);
  if (keyed) forms.push(keyed[1]!, keyed[2]!);
  return forms.map((form) => form.trim().toLowerCase());
}

/**
 * The tracker projects `reference` names: the one whose id it is exactly, else those whose id,
 * name or key it is, whatever the case (a Jira key, a Linear team's key or name, owner/name).
 */
export function matchProjects<T extends Named>(reference: string, projects: readonly T[]): T[] {
  const exact = projects.filter((project) => project.id === reference);
  if (exact.length === 1) return exact;
  const wanted = reference.trim().toLowerCase();
  return projects.filter((project) => formsOf(project).includes(wanted));
}

/** Projects as lines for a message: the id, and the name when it says more. */
export function describeProjects(projects: readonly Named[], max = 40): string {
  const lines = projects.slice(0, max).map((project) => {
    const id = plain(project.id);
    const name = plain(project.name);
    return `  ${id}${name !== id ? `  ${name}` : ''}`;
  });
  if (projects.length > max) lines.push(`  … and ${projects.length - max} more`);
  return lines.join('\n');
}

/** The key a title starts with (SHOP-12), lower-cased; none for a title of plain words. */
function keyOf(title: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9_]*-\d+)\s/.exec(title)?.[1]?.toLowerCase();
}

/**
 * The listed tasks that `references` name: by external id, or by the key a title starts with
 * (a Linear identifier such as SHOP-12), whatever the case; a GitHub number may keep its `#`.
 */
export function pickTasks(references: readonly string[], tasks: readonly ExternalTaskListed[]): { picked: ExternalTaskListed[]; unknown: string[] } {
  const picked = new Map<string, ExternalTaskListed>();
  const unknown: string[] = [];
  for (const reference of references) {
    const found =
      tasks.find((task) => task.external_id === reference) ??
      (() => {
        const wanted = reference.replace(/^#(?=\d+$)/, '').toLowerCase();
        return tasks.find((task) => task.external_id.toLowerCase() === wanted || keyOf(task.title) === wanted);
      })();
    if (found) picked.set(found.external_id, found);
    else unknown.push(reference);
  }
  return { picked: [...picked.values()], unknown };
}
