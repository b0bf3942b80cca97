import type { ExternalTaskSummary, TrackerProvider } from '../../src/integrations/tracker-provider.js';

/** Every task of a tracker's project, page after page, and how many pages it took. */
export async function allPages(provider: TrackerProvider, projectId: string): Promise<{ tasks: ExternalTaskSummary[]; pages: number }> {
  const tasks: ExternalTaskSummary[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await provider.listTasks(projectId, cursor);
    tasks.push(...page.items);
    cursor = page.next;
    pages++;
  } while (cursor);
  return { tasks, pages };
}
