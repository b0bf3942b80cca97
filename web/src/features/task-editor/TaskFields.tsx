import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { taskPriorities, taskStatuses, type TaskPriority, type TaskStatus } from '../../../../src/tasks/task-fields.js';
import { api, ApiError } from '../../shared/api.js';
import { statusLabel } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useNodes } from '../../shared/use-nodes.js';

type Draft = { title: string; description: string; status: TaskStatus; priority: TaskPriority; node_id: number | null };

const draftOf = (task: Task): Draft => ({ title: task.title, description: task.description, status: task.status, priority: task.priority, node_id: task.node_id });

/** A task's own fields, saved together; what changed elsewhere shows unless the user is editing. */
export function TaskFields({ task }: { task: Task }) {
  const client = useQueryClient();
  const nodes = useNodes();
  const [draft, setDraft] = useState<Draft>(() => draftOf(task));
  const [base, setBase] = useState<Draft>(() => draftOf(task));
  const changed = (Object.keys(draft) as (keyof Draft)[]).filter((key) => draft[key] !== base[key]);
  // A change made elsewhere (another window, an agent) replaces the fields the user has not touched.
  const latest = draftOf(task);
  if ((Object.keys(latest) as (keyof Draft)[]).some((key) => latest[key] !== base[key])) {
    setBase(latest);
    setDraft((current) => {
      const next = { ...current };
      for (const key of Object.keys(latest) as (keyof Draft)[]) if (current[key] === base[key]) (next as Record<string, unknown>)[key] = latest[key];
      return next;
    });
  }
  const save = useMutation({
    mutationFn: () => api<Task>('PATCH', `/tasks/${task.id}`, Object.fromEntries(changed.map((key) => [key, key === 'title' ? draft.title.trim() : draft[key]]))),
    onSuccess: (saved) => {
      setBase(draftOf(saved));
      setDraft(draftOf(saved));
      client.setQueryData(queryKeys.task(task.id), saved);
      void client.invalidateQueries({ queryKey: queryKeys.tasks(task.project_id) });
    },
  });
  const set = <Key extends keyof Draft>(key: Key, value: Draft[Key]) => {
    save.reset();
    setDraft((current) => ({ ...current, [key]: value }));
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (changed.length > 0 && draft.title.trim()) save.mutate();
  };

  return (
    <form className="task-fields" aria-label="Task fields" onSubmit={submit}>
      <label>
        Title
        <input className="title-input" value={draft.title} onChange={(event) => set('title', event.target.value)} required maxLength={500} />
      </label>
      <div className="field-row">
        <label>
          Status
          <select value={draft.status} onChange={(event) => set('status', event.target.value as TaskStatus)}>
            {taskStatuses.map((status) => (
              <option key={status} value={status}>
                {statusLabel(status)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select value={draft.priority} onChange={(event) => set('priority', event.target.value as TaskPriority)}>
            {taskPriorities.map((priority) => (
              <option key={priority}>{priority}</option>
            ))}
          </select>
        </label>
        <label>
          Role
          <select value={draft.node_id ?? ''} onChange={(event) => set('node_id', event.target.value ? Number(event.target.value) : null)}>
            <option value="">none</option>
            {nodes.data?.map((node) => (
              <option key={node.id} value={node.id}>
                {node.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        Description
        <textarea value={draft.description} onChange={(event) => set('description', event.target.value)} rows={6} placeholder="What to do, and why" />
      </label>
      <div className="actions">
        <button type="submit" disabled={changed.length === 0 || !draft.title.trim() || save.isPending}>
          Save
        </button>
        {changed.length > 0 && (
          <button type="button" onClick={() => setDraft(base)}>
            Discard changes
          </button>
        )}
        {save.isSuccess && changed.length === 0 && <span role="status">Saved</span>}
        {save.error instanceof ApiError && <p role="alert">{save.error.message}</p>}
      </div>
    </form>
  );
}
