import { useEffect, useState } from 'react';
import { ModelServerStatus } from '../features/health/ModelServerStatus.js';
import { ProjectSidebar } from '../features/projects/ProjectSidebar.js';
import { TasksPage } from '../features/tasks/TasksPage.js';
import { useLiveChanges } from '../shared/use-live-changes.js';

/** The selected project lives in the URL's hash (#/projects/3), so REST paths never collide with UI routes. */
function projectFromHash(): number | undefined {
  const match = /^#\/projects\/(\d+)/.exec(window.location.hash);
  return match ? Number(match[1]) : undefined;
}

export function App() {
  const [projectId, setProjectId] = useState(projectFromHash);
  const { live } = useLiveChanges();
  useEffect(() => {
    const onHash = () => setProjectId(projectFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const select = (id: number | undefined) => {
    window.location.hash = id === undefined ? '' : `#/projects/${id}`;
    setProjectId(id);
  };

  return (
    <div className="app">
      <header>
        <h1>wfhub</h1>
        <ModelServerStatus />
        <span className={`live ${live ? 'live-on' : 'live-off'}`} role="status" aria-label="Live updates">
          {live ? 'Live' : 'Reconnecting…'}
        </span>
      </header>
      <ProjectSidebar selected={projectId} onSelect={select} />
      <main>{projectId === undefined ? <p className="empty">Pick a project, or add one.</p> : <TasksPage key={projectId} projectId={projectId} poll={!live} />}</main>
    </div>
  );
}
