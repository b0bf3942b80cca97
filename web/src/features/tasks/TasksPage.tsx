import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { taskStatuses } from '../../../../src/tasks/task-fields.js';
import type { Panel } from '../../app/route.js';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useShortcut } from '../../shared/use-shortcut.js';
import { ChatPanel } from '../chat/ChatPanel.js';
import { ImportWizard } from '../integrations/ImportWizard.js';
import { ProjectSettings } from '../projects/ProjectSettings.js';
import { TaskEditor } from '../task-editor/TaskEditor.js';
import { NewTaskForm } from './NewTaskForm.js';
import { TaskBoard } from './TaskBoard.js';
import { TaskList } from './TaskList.js';

const viewKey = 'wfhub.view';

/** A project's tasks: board or list, filtered by status, role and text. */
export function TasksPage({ projectId, taskId, runId, panel, poll }: { projectId: number; taskId?: number; runId?: number; panel?: Panel; poll: boolean }) {
  const chat = panel === 'chat';
  // Live changes refresh the tasks; without them (the socket down), they are polled.
  const tasks = useQuery({
    queryKey: queryKeys.tasks(projectId),
    queryFn: () => api<Task[]>('GET', `/projects/${projectId}/tasks?limit=5000`),
    refetchInterval: poll ? 5000 : false,
  });
  const [view, setView] = useState<'board' | 'list'>(() => (localStorage.getItem(viewKey) === 'list' ? 'list' : 'board'));
  useEffect(() => localStorage.setItem(viewKey, view), [view]);
  const [status, setStatus] = useState('');
  const [node, setNode] = useState('');
  const [text, setText] = useState('');
  const search = useRef<HTMLInputElement>(null);
  const newTitle = useRef<HTMLInputElement>(null);
  useShortcut('/', () => search.current?.focus());
  useShortcut('n', () => newTitle.current?.focus());

  const all = tasks.data ?? [];
  const nodes = [...new Set(all.map((task) => task.node_name).filter((name): name is string => name !== null))].sort();
  const needle = text.trim().toLowerCase();
  const shown = all.filter(
    (task) =>
      (!status || task.status === status) &&
      (!node || task.node_name === node) &&
      (!needle || task.title.toLowerCase().includes(needle) || task.description.toLowerCase().includes(needle)),
  );

  return (
    <div className={taskId === undefined && !panel ? 'workspace' : 'workspace with-editor'}>
      <section className="tasks" aria-label="Tasks">
        <div className="toolbar">
          <h2>
            Tasks <span className="count">{shown.length === all.length ? all.length : `${shown.length} of ${all.length}`}</span>
          </h2>
          <label>
            <span className="visually-hidden">Search tasks</span>
            <input ref={search} type="search" placeholder="Search ( / )" value={text} onChange={(event) => setText(event.target.value)} />
          </label>
          <label>
            <span className="visually-hidden">Status filter</span>
            <select value={status} onChange={(event) => setStatus(event.target.value)}>
              <option value="">All statuses</option>
              {taskStatuses.map((option) => (
                <option key={option} value={option}>
                  {option.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span className="visually-hidden">Role filter</span>
            <select value={node} onChange={(event) => setNode(event.target.value)}>
              <option value="">All roles</option>
              {nodes.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </select>
          </label>
          <a className="chat-link" href={chat ? `#/projects/${projectId}` : `#/projects/${projectId}/chat`} aria-pressed={chat ? 'true' : 'false'} role="button">
            Chat
          </a>
          <a className="panel-link" href={panel === 'import' ? `#/projects/${projectId}` : `#/projects/${projectId}/import`} aria-current={panel === 'import' ? 'page' : undefined}>
            Import
          </a>
          <div role="group" aria-label="View" className="view-toggle">
            <button type="button" aria-pressed={view === 'board'} onClick={() => setView('board')}>
              Board
            </button>
            <button type="button" aria-pressed={view === 'list'} onClick={() => setView('list')}>
              List
            </button>
          </div>
        </div>
        {tasks.isError && <p role="alert">{(tasks.error as Error).message}</p>}
        {tasks.data?.length === 0 && <p className="empty">No tasks yet: add one below (n).</p>}
        {view === 'board' ? <TaskBoard projectId={projectId} tasks={shown} openTaskId={taskId} /> : <TaskList tasks={shown} />}
        <NewTaskForm projectId={projectId} titleRef={newTitle} />
      </section>
      {taskId !== undefined && <TaskEditor projectId={projectId} taskId={taskId} runId={runId} tasks={all} />}
      {chat && taskId === undefined && <ChatPanel projectId={projectId} />}
      {panel === 'settings' && taskId === undefined && <ProjectSettings projectId={projectId} />}
      {panel === 'import' && taskId === undefined && <ImportWizard projectId={projectId} />}
    </div>
  );
}
