import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import type { Criterion } from '../../../../src/acceptance-criteria/criterion.schema.js';
import type { Run } from '../../../../src/runs/run.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { gateEvidence, gateOutcome, type GateResult } from '../../shared/pipeline.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useTaskRuns } from './use-task-runs.js';

/** What a check may be, said where one is given. */
const checkHelp = 'A check proves a criterion: a command run in the workspace, e.g. npm test, or a URL probed for a 2xx answer. The qa stage runs it before its review.';

const outcomeLabel = { pass: 'passed', fail: 'failed', skipped: 'skipped' } as const;

/** The latest run that ran acceptance checks (a qa run), newest first as the runs are listed. */
const lastCheckRun = (runs: readonly Run[] | undefined) => runs?.find((run) => run.gates.some((gate) => gate.gate === 'acceptance_check'));

/** The checks the work is judged by: tick, add, remove, give each a check and see how it last went. */
export function CriteriaSection({ taskId }: { taskId: number }) {
  const client = useQueryClient();
  const key = queryKeys.criteria(taskId);
  const criteria = useQuery({ queryKey: key, queryFn: () => api<Criterion[]>('GET', `/tasks/${taskId}/acceptance-criteria?limit=500`) });
  const checkRun = lastCheckRun(useTaskRuns(taskId).data);
  const [text, setText] = useState('');
  const [check, setCheck] = useState('');
  const helpId = useId();
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const add = useMutation({
    mutationFn: () => api<Criterion>('POST', `/tasks/${taskId}/acceptance-criteria`, { text: text.trim(), ...(check.trim() && { check: check.trim() }) }),
    onSuccess: () => {
      setText('');
      setCheck('');
      void refresh();
    },
  });
  const setCriterionCheck = useMutation({
    mutationFn: ({ id, value }: { id: number; value: string | null }) => api<Criterion>('PATCH', `/acceptance-criteria/${id}`, { check: value }),
    onSettled: refresh,
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
  const error = [add.error, toggle.error, remove.error, setCriterionCheck.error, criteria.error].find((item) => item instanceof Error);

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
            <CheckField criterion={criterion} onSave={(value) => setCriterionCheck.mutateAsync({ id: criterion.id, value })}>
              {checkRun && <CheckResult run={checkRun} gate={checkRun.gates.find((gate) => gate.criterion_id === criterion.id)} />}
            </CheckField>
            <button type="button" className="icon" aria-label={`Delete criterion: ${criterion.text}`} onClick={() => remove.mutate(criterion.id)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <form className="inline-form criterion-form" aria-label="Add a criterion" onSubmit={submit}>
        <label>
          <span className="visually-hidden">New criterion</span>
          <input value={text} onChange={(event) => setText(event.target.value)} placeholder="Add a criterion" maxLength={2000} />
        </label>
        <label>
          <span className="visually-hidden">Check (optional)</span>
          <input value={check} onChange={(event) => setCheck(event.target.value)} placeholder="Check (optional): npm test, or a URL" maxLength={4000} className="code-input" aria-describedby={helpId} />
        </label>
        <button type="submit" disabled={!text.trim() || add.isPending}>
          Add
        </button>
      </form>
      <p className="muted field-help" id={helpId}>
        {checkHelp}
      </p>
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

/** How the criterion's check went in the latest qa run: passed, failed or skipped, with its evidence on hover. */
function CheckResult({ run, gate }: { run: Run; gate: GateResult | undefined }) {
  if (!gate) return null;
  const outcome = gateOutcome(gate);
  return (
    <span className={`badge gate-badge-${outcome}`} title={`Last checked in run #${run.id}: ${gateEvidence(gate)}`}>
      check {outcomeLabel[outcome]}
    </span>
  );
}

/** The criterion's check, shown and edited in place; emptied, it is removed. */
function CheckField({ criterion, onSave, children }: { criterion: Criterion; onSave: (value: string | null) => Promise<unknown>; children?: ReactNode }) {
  const [editing, setEditing] = useState<string | undefined>();
  if (editing === undefined) {
    return (
      <span className="criterion-check">
        {criterion.check && (
          <span className="muted" title={checkHelp}>
            Check: <code>{criterion.check}</code>
          </span>
        )}
        <button type="button" className="link" aria-label={`${criterion.check ? 'Edit the check' : 'Set a check'} of: ${criterion.text}`} onClick={() => setEditing(criterion.check ?? '')}>
          {criterion.check ? 'Edit' : 'Set check'}
        </button>
        {children}
      </span>
    );
  }
  const save = (event: FormEvent) => {
    event.preventDefault();
    void onSave(editing.trim() || null).then(() => setEditing(undefined), () => undefined);
  };
  return (
    <form className="inline-form criterion-check-form" aria-label={`Check of: ${criterion.text}`} onSubmit={save}>
      <label>
        <span className="visually-hidden">Check of: {criterion.text}</span>
        <input
          value={editing}
          onChange={(event) => setEditing(event.target.value)}
          placeholder="npm test, or https://localhost:3000/health"
          maxLength={4000}
          className="code-input"
          title={checkHelp}
          autoFocus
          onKeyDown={(event) => {
            // Esc leaves the edit, not the whole task.
            if (event.key === 'Escape') {
              event.preventDefault();
              setEditing(undefined);
            }
          }}
        />
      </label>
      <button type="submit">Save</button>
    </form>
  );
}
