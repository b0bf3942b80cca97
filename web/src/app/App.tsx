import { ModelServerStatus } from '../features/health/ModelServerStatus.js';
import { ProjectSidebar } from '../features/projects/ProjectSidebar.js';
import { TasksPage } from '../features/tasks/TasksPage.js';
import { useLiveChanges } from '../shared/use-live-changes.js';
import { navigate, useRoute } from './route.js';
import { ThemeSwitch } from './theme.js';

export function App() {
  const route = useRoute();
  const { projectId } = route;
  const { live } = useLiveChanges();
  const select = (id: number | undefined) => navigate({ projectId: id });

  return (
    <div className="app">
      <header>
        <h1>wfhub</h1>
        <ModelServerStatus />
        <span className={`live ${live ? 'live-on' : 'live-off'}`} role="status" aria-label="Live updates">
          {live ? 'Live' : 'Reconnecting…'}
        </span>
        <ThemeSwitch />
      </header>
      <ProjectSidebar selected={projectId} onSelect={select} />
      <main>{projectId === undefined ? <p className="empty">Pick a project, or add one.</p> : <TasksPage key={projectId} projectId={projectId} taskId={route.taskId} runId={route.runId} panel={route.panel} poll={!live} />}</main>
    </div>
  );
}
