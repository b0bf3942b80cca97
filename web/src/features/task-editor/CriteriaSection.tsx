import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import type { Criterion } from '../../../../src/acceptance-criteria/criterion.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';

/** The checks the work is judged by: tick, add, remove. */
export function CriteriaSection({ taskId }: { taskId: number }) {
  const client = useQueryClient();
  const key = queryKeys.criteria(taskId);
  const criteria = useQuery({ queryKey: key, queryFn: () => api<Criterion[]>('GET', `/tasks/${taskId}/acceptance-criteria?limit=500`) });
  const [text, setText] = useState('');
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const add = useMutation({
    mutationFn: () => api<Criterion>('POST', `/tasks/${taskId}/acceptance-criteria`, { text: text.trim() }),
    onSuccess: () => {
      setText('');
      void refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: ({ id, done }: { id: number; done: boolean }) => api<Criterion>('PATCH', `/acceptance-criteria/${id}`, { done }),
    // A read in flight (after an add, say) must not put the old state back; a refusal unticks it when the list is read again.
    onMutate: async ({ id, done }) => {
      await client.cancelQueries({ queryKey: key });
      client.setQueryData<Criterion[]>(key, (old) => old?.map((item) => (item.id === id ? { ...item, done } : item)));
    },
    onSettled: refresh,
  });
  const remove = useMutation({ mutationFn: (id: number) => api<void>('DELETE', `/acceptance-criteria/${id}`), onSettled: refresh });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) add.mutate();
  };
  const list = criteria.data ?? [];
  const error = [add.error, toggle.error, remove.error, criteria.error].find((item) => item instanceof Error);

  return (
    <section className="editor-section" aria-label="Acceptance criteria">
      <h3>
        Acceptance criteria <span className="count">{list.length > 0 && `${list.filter((item) => item.done).length}/${list.length}`}</span>
      </h3>
      {list.length === 0 && criteria.isSuccess && <p className="empty">None yet: add what must be true when the task is done.</p>}
      <ul className="criteria">
        {list.map((criterion) => (
          <li key={criterion.id}>
            <CriterionCheck criterion={criterion} onToggle={(done) => toggle.mutate({ id: criterion.id, done })} />
            {criterion.check_command && <code className="muted">{criterion.check_command}</code>}
            <button type="button" className="icon" aria-label={`Delete criterion: ${criterion.text}`} onClick={() => remove.mutate(criterion.id)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form" aria-label="Add a criterion" onSubmit={submit}>
        <label>
          <span className="visually-hidden">New criterion</span>
          <input value={text} onChange={(event) => setText(event.target.value)} placeholder="Add a criterion" maxLength={2000} />
        </label>
        <button type="submit" disabled={!text.trim() || add.isPending}>
          Add
        </button>
      </form>
      {error instanceof ApiError && <p role="alert">{error.message}</p>}
    </section>
  );
}

/** The box ticks in the same frame as the click; the server's state replaces it when it changes. */
function CriterionCheck({ criterion, onToggle }: { criterion: Criterion; onToggle: (done: boolean) => void }) {
  const [checked, setChecked] = useState(criterion.done);
  useEffect(() => setChecked(criterion.done), [criterion.done]);
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={checked}
        onChange={() => {
          setChecked(!checked);
          onToggle(!checked);
        }}
      />
      <span>{criterion.text}</span>
    </label>
  );
}
