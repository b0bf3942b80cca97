import { useCallback, useRef, useState } from 'react';
import { TokenDialog } from '../features/auth/TokenDialog.js';
import { ModelServerStatus } from '../features/health/ModelServerStatus.js';
import { LogsPanel } from '../features/logs/LogsPanel.js';
import { ModelsButton } from '../features/models/ModelsButton.js';
import { ModelsDialog } from '../features/models/ModelsDialog.js';
import { ProjectSidebar } from '../features/projects/ProjectSidebar.js';
import { TasksPage } from '../features/tasks/TasksPage.js';
import { UsageDialog } from '../features/usage/UsageDialog.js';
import { useLiveChanges } from '../shared/use-live-changes.js';
import { navigate, useRoute } from './route.js';
import { ThemeSwitch } from './theme.js';

const logsKey = 'wfhub.logs';

export function App() {
  const route = useRoute();
  const { projectId } = route;
  const { live } = useLiveChanges();
  const select = (id: number | undefined) => navigate({ projectId: id });
  // The Logs panel, open or not as it was on the last visit.
  const [logsOpen, setLogsOpen] = useState(() => localStorage.getItem(logsKey) === 'open');
  const [logsOpened, setLogsOpened] = useState(false);
  const logsButton = useRef<HTMLButtonElement>(null);
  // The Usage or Models dialog, over everything while it is open.
  const [dialog, setDialog] = useState<'usage' | 'models' | undefined>();
  const closeDialog = useCallback(() => setDialog(undefined), []);
  const showLogs = (open: boolean) => {
    setLogsOpen(open);
    setLogsOpened(open);
    if (open) localStorage.setItem(logsKey, 'open');
    else {
      localStorage.removeItem(logsKey);
      logsButton.current?.focus();
    }
  };

  return (
    <div className={logsOpen ? 'app with-logs' : 'app'}>
      <header>
        <h1>wfhub</h1>
        <ModelServerStatus />
        <ModelsButton onClick={() => setDialog('models')} />
        <span className={`live ${live ? 'live-on' : 'live-off'}`} role="status" aria-label="Live updates">
          {live ? 'Live' : 'Reconnecting…'}
        </span>
        <button type="button" aria-haspopup="dialog" onClick={() => setDialog('usage')}>
          Usage
        </button>
        <button ref={logsButton} type="button" aria-pressed={logsOpen} aria-controls="logs" onClick={() => showLogs(!logsOpen)}>
          Logs
        </button>
        <ThemeSwitch />
      </header>
      <ProjectSidebar selected={projectId} onSelect={select} />
      <main>{projectId === undefined ? <p className="empty">Pick a project, or add one.</p> : <TasksPage key={projectId} projectId={projectId} taskId={route.taskId} runId={route.runId} panel={route.panel} poll={!live} />}</main>
      {logsOpen && <LogsPanel onClose={() => showLogs(false)} takeFocus={logsOpened} />}
      {dialog === 'usage' && <UsageDialog onClose={closeDialog} />}
      {dialog === 'models' && <ModelsDialog onClose={closeDialog} />}
      <TokenDialog />
    </div>
  );
}
