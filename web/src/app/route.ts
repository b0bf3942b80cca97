import { useEffect, useState } from 'react';

/**
 * Where the user is, kept in the URL's hash (#/projects/3/tasks/17/runs/5) so a page can be
 * reloaded, bookmarked and shared, and so UI routes never collide with the REST paths.
 */
export interface Route {
  projectId?: number;
  taskId?: number;
  runId?: number;
  /** The side panel open over the tasks, if any. */
  panel?: Panel;
}

/** The side panels a project opens over its tasks. */
export type Panel = 'chat' | 'settings' | 'import';

export function parseRoute(hash: string): Route {
  const match = /^#\/projects\/(\d+)(?:\/tasks\/(\d+)(?:\/runs\/(\d+))?|\/(chat|settings|import))?\/?$/.exec(hash);
  if (!match) return {};
  return {
    projectId: Number(match[1]),
    ...(match[2] && { taskId: Number(match[2]) }),
    ...(match[3] && { runId: Number(match[3]) }),
    ...(match[4] && { panel: match[4] as Panel }),
  };
}

export function routeHash(route: Route): string {
  if (route.projectId === undefined) return '';
  let hash = `#/projects/${route.projectId}`;
  if (route.taskId !== undefined) {
    hash += `/tasks/${route.taskId}`;
    if (route.runId !== undefined) hash += `/runs/${route.runId}`;
  } else if (route.panel) hash += `/${route.panel}`;
  return hash;
}

export function navigate(route: Route): void {
  const hash = routeHash(route);
  if (hash !== window.location.hash) window.location.hash = hash;
}

/** The current route, following the hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}
