import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { statusLabel } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';

/** "#12", "12" or "#12 Title" as the id 12; a title of the project's tasks as its id. */
function pickedId(value: string, candidates: readonly Task[]): number | undefined {
  const text = value.trim();
  const byId = /^#?(\d+)\b/.exec(text);
  if (byId) return Number(byId[1]);
  const byTitle = candidates.filter((task) => task.title.toLowerCase() === text.toLowerCase());
  return byTitle.length === 1 ? byTitle[0]!.id : undefined;
}

/**
 * The tasks this one waits for, of this project or another: each with its title and status;
 * added by id or picked by title, removed one by one. A refusal (a cycle, say) is shown as said.
 */
export function BlockedBySection({ task, tasks }: { task: Task; tasks: Task[] }) {
  const client = useQueryClient();
  const listId = useId();
  const blockers = task.blocked_by ?? [];
  const [value, setValue] = useState('');
  const known = new Map(tasks.map((other) => [other.id, other]));
  // Tasks of other projects are read one by one.
  const others = useQueries({
    queries: blockers
      .filter((id) => !known.has(id))
      .map((id) => ({ queryKey: queryKeys.task(id), queryFn: () => api<Task>('GET', `/tasks/${id}`), staleTime: 30_000 })),
  });
  for (const other of others) if (other.data) known.set(other.data.id, other.data);
  const candidates = tasks.filter((other) => other.id !== task.id && !blockers.includes(other.id));

  const save = useMutation({
    mutationFn: (ids: number[]) => api<Task>('PATCH', `/tasks/${task.id}`, { blocked_by: ids }),
    onSuccess: (saved) => {
      setValue('');
      client.setQueryData(queryKeys.task(task.id), saved);
      void client.invalidateQueries({ queryKey: queryKeys.tasks(task.project_id) });
      void client.invalidateQueries({ queryKey: queryKeys.taskPipeline(task.id), exact: true });
    },
  });
  const picked = pickedId(value, candidates);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (picked !== undefined) save.mutate([...blockers, picked]);
  };

  return (
    <section className="editor-section" aria-label="Blocked by">
      <h3>
        Blocked by <span className="count">{blockers.length > 0 && blockers.length}</span>
      </h3>
      {blockers.length === 0 && <p className="empty">Nothing: the task can start whenever it is picked up.</p>}
      <ul className="blockers" aria-label="Blockers">
        {blockers.map((id) => {
          const blocker = known.get(id);
          return (
            <li key={id}>
              {blocker && <span className={`badge badge-${blocker.status}`}>{statusLabel(blocker.status)}</span>}
              <a href={`#/projects/${blocker?.project_id ?? task.project_id}/tasks/${id}`}>
                #{id} {blocker?.title ?? ''}
              </a>
              <button type="button" className="icon" aria-label={`Remove blocker #${id}`} disabled={save.isPending} onClick={() => save.mutate(blockers.filter((other) => other !== id))}>
                ×
              </button>
            </li>
          );
        })}
      </ul>
      <form className="inline-form" aria-label="Add a blocker" onSubmit={submit}>
        <label>
          <span className="visually-hidden">Blocking task</span>
          <input
            value={value}
            onChange={(event) => {
              save.reset();
              setValue(event.target.value);
            }}
            list={listId}
            placeholder="Waits for: #id or title"
          />
        </label>
        <datalist id={listId}>
          {candidates.map((other) => (
            <option key={other.id} value={`#${other.id} ${other.title}`}>
              {statusLabel(other.status)}
            </option>
          ))}
        </datalist>
        <button type="submit" disabled={picked === undefined || save.isPending}>
          Add
        </button>
      </form>
      {save.error instanceof ApiError && <p role="alert">{save.error.message}</p>}
    </section>
  );
}
