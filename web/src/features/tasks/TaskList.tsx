import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

/** A project's tasks with their status, and a form to add one with its acceptance criteria. */
export function TaskList({ projectId }: { projectId: number }) {
  const client = useQueryClient();
  const tasks = useQuery({ queryKey: queryKeys.tasks(projectId), queryFn: () => api<Task[]>('GET', `/projects/${projectId}/tasks?limit=5000`) });
  const [title, setTitle] = useState('');
  const [criteria, setCriteria] = useState('');
  const lines = criteria
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const create = useMutation({
    mutationFn: () => api<Task>('POST', '/tasks', { project_id: projectId, title: title.trim(), acceptance_criteria: lines }),
    onSuccess: () => {
      setTitle('');
      setCriteria('');
      void client.invalidateQueries({ queryKey: queryKeys.tasks(projectId) });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim() && lines.length > 0) create.mutate();
  };

  return (
    <section className="tasks" aria-label="Tasks">
      <h2>Tasks</h2>
      {tasks.isError && <p role="alert">{(tasks.error as Error).message}</p>}
      {tasks.data?.length === 0 && <p className="empty">No tasks yet.</p>}
      <ul>
        {tasks.data?.map((task) => (
          <li key={task.id} className="task">
            <span className={`badge badge-${task.status}`}>{task.status.replace('_', ' ')}</span>
            <span className="title">{task.title}</span>
            {task.node_name && <span className="node">{task.node_name}</span>}
          </li>
        ))}
      </ul>
      <form onSubmit={submit} aria-label="New task">
        <label>
          Title
          <input value={title} onChange={(event) => setTitle(event.target.value)} required maxLength={500} />
        </label>
        <label>
          Acceptance criteria (one per line)
          <textarea value={criteria} onChange={(event) => setCriteria(event.target.value)} rows={3} required />
        </label>
        <button type="submit" disabled={create.isPending || !title.trim() || lines.length === 0}>
          Add task
        </button>
        {create.error instanceof ApiError && <p role="alert">{create.error.message}</p>}
      </form>
    </section>
  );
}
