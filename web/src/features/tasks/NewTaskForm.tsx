import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type RefObject } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

/** A new task with its acceptance criteria (required: they are how the agent's work is checked). */
export function NewTaskForm({ projectId, titleRef }: { projectId: number; titleRef: RefObject<HTMLInputElement | null> }) {
  const client = useQueryClient();
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
    <form onSubmit={submit} aria-label="New task" className="new-task">
      <label>
        Title
        <input ref={titleRef} value={title} onChange={(event) => setTitle(event.target.value)} required maxLength={500} />
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
  );
}
