import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

/** The name a person overrides with, kept in this browser for the next time. */
const nameKey = 'wfhub.override-by';

/** "Override: mark done": the task is done although its gates did not pass, saying who decided and why. */
export function OverrideAction({ task }: { task: Task }) {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [by, setBy] = useState(() => localStorage.getItem(nameKey) ?? '');
  const [reason, setReason] = useState('');
  const override = useMutation({
    mutationFn: () => api<Task>('POST', `/tasks/${task.id}/override`, { by: by.trim(), reason: reason.trim() }),
    onSuccess: (saved) => {
      localStorage.setItem(nameKey, by.trim());
      setReason('');
      setOpen(false);
      client.setQueryData(queryKeys.task(task.id), saved);
      void client.invalidateQueries({ queryKey: queryKeys.tasks(task.project_id) });
      void client.invalidateQueries({ queryKey: queryKeys.taskPipeline(task.id), exact: true });
      void client.invalidateQueries({ queryKey: queryKeys.comments(task.id), exact: true });
    },
  });
  const ready = by.trim() !== '' && reason.trim() !== '';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (ready) override.mutate();
  };
  const close = () => {
    setOpen(false);
    override.reset();
  };

  if (!open) {
    return (
      <div className="actions">
        <button type="button" aria-expanded="false" onClick={() => setOpen(true)}>
          Override: mark done
        </button>
      </div>
    );
  }
  return (
    <form
      className="override-form"
      aria-label="Override: mark done"
      onSubmit={submit}
      // Esc leaves the form, not the whole task.
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return;
        event.preventDefault();
        close();
      }}
    >
      <p className="muted">The task becomes done whatever its gates say; your name and reason are kept on it.</p>
      <label>
        Your name
        <input value={by} onChange={(event) => setBy(event.target.value)} required maxLength={200} autoComplete="name" autoFocus={!by} />
      </label>
      <label>
        Reason
        <textarea value={reason} onChange={(event) => setReason(event.target.value)} required rows={2} maxLength={4000} autoFocus={Boolean(by)} placeholder="Why it is done although the gates did not pass" />
      </label>
      <div className="actions">
        <button type="submit" disabled={!ready || override.isPending}>
          Mark done
        </button>
        <button type="button" onClick={close}>
          Cancel
        </button>
      </div>
      {override.error instanceof ApiError && <p role="alert">{override.error.message}</p>}
    </form>
  );
}
