import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { statusLabel } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';

/** A task's subtasks, to open or add (each with its criteria, as every task has). */
export function SubtasksSection({ task, subtasks }: { task: Task; subtasks: Task[] }) {
  const client = useQueryClient();
  const [title, setTitle] = useState('');
  const [criterion, setCriterion] = useState('');
  const add = useMutation({
    mutationFn: () =>
      api<Task>('POST', '/tasks', { project_id: task.project_id, parent_id: task.id, title: title.trim(), acceptance_criteria: [criterion.trim()] }),
    onSuccess: () => {
      setTitle('');
      setCriterion('');
      void client.invalidateQueries({ queryKey: queryKeys.tasks(task.project_id) });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim() && criterion.trim()) add.mutate();
  };
  return (
    <section className="editor-section" aria-label="Subtasks">
      <h3>
        Subtasks <span className="count">{subtasks.length > 0 && subtasks.length}</span>
      </h3>
      <ul className="subtask-links">
        {subtasks.map((subtask) => (
          <li key={subtask.id}>
            <span className={`badge badge-${subtask.status}`}>{statusLabel(subtask.status)}</span>
            <a href={`#/projects/${task.project_id}/tasks/${subtask.id}`}>{subtask.title}</a>
          </li>
        ))}
      </ul>
      <form className="inline-form" aria-label="Add a subtask" onSubmit={submit}>
        <label>
          <span className="visually-hidden">Subtask title</span>
          <input value={title} onChange={(event) => setTitle(event.target.value)} placeholder="Subtask title" maxLength={500} />
        </label>
        <label>
          <span className="visually-hidden">Subtask criterion</span>
          <input value={criterion} onChange={(event) => setCriterion(event.target.value)} placeholder="Done when…" maxLength={2000} />
        </label>
        <button type="submit" disabled={!title.trim() || !criterion.trim() || add.isPending}>
          Add
        </button>
      </form>
      {add.error instanceof ApiError && <p role="alert">{add.error.message}</p>}
    </section>
  );
}
