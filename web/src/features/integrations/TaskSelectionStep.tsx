import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api } from '../../shared/api.js';
import { statusLabel } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';
import type { ExternalTaskListed, Mapping, TrackerInfo } from './integrations-api.js';
import { StepTitle } from './StepTitle.js';
import { WizardNav } from './WizardNav.js';

/** Rows drawn at first (and added by "Show more"): a tracker project may hold thousands. */
const page = 200;

/** Step 5: the tracker's tasks to import, picked one by one or all at once; those imported before are marked. */
export function TaskSelectionStep({
  tracker,
  mapping,
  picked,
  onPick,
  onBack,
  onImport,
}: {
  tracker: TrackerInfo;
  mapping: Mapping;
  picked: ReadonlySet<string>;
  onPick: (picked: Set<string>) => void;
  onBack: () => void;
  onImport: (externalIds: string[]) => void;
}) {
  const tasks = useQuery({
    queryKey: queryKeys.externalTasks(mapping.id),
    queryFn: () => api<ExternalTaskListed[]>('GET', `/integrations/${mapping.id}/tasks`),
    retry: false,
  });
  const [filter, setFilter] = useState('');
  const [limit, setLimit] = useState(page);
  const title = useId();
  const all = tasks.data ?? [];
  const needle = filter.trim().toLowerCase();
  const shown = needle ? all.filter((task) => task.title.toLowerCase().includes(needle) || task.external_id.toLowerCase().includes(needle)) : all;
  // What is picked among the tasks there are (one deleted on the tracker since drops out).
  const chosen = all.filter((task) => picked.has(task.external_id));
  const again = chosen.filter((task) => task.imported).length;
  const toggle = (task: ExternalTaskListed, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(task.external_id);
    else next.delete(task.external_id);
    onPick(next);
  };
  const pickShown = (on: boolean) => {
    const next = new Set(picked);
    for (const task of shown) {
      if (on) next.add(task.external_id);
      else next.delete(task.external_id);
    }
    onPick(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen.length > 0) onImport(chosen.map((task) => task.external_id));
  };

  return (
    <form className="wizard-step" aria-labelledby={title} onSubmit={submit}>
      <StepTitle id={title}>Which tasks?</StepTitle>
      <p className="muted">
        From <strong>{mapping.external_project_name}</strong> on {tracker.name}
        {mapping.linked_tasks > 0 && ` · ${mapping.linked_tasks} imported before`}
      </p>
      {tasks.isPending && <p className="muted">Reading the tasks from {tracker.name}…</p>}
      {tasks.isError && (
        <div className="actions">
          <p role="alert">{tasks.error.message}</p>
          <button type="button" onClick={() => void tasks.refetch()} disabled={tasks.isFetching}>
            Try again
          </button>
        </div>
      )}
      {tasks.data && all.length === 0 && <p className="empty">This {tracker.project_label} has no tasks to import.</p>}
      {all.length > 0 && (
        <>
          <div className="toolbar pick-toolbar">
            <label>
              <span className="visually-hidden">Filter tasks</span>
              <input
                type="search"
                placeholder="Filter tasks"
                value={filter}
                onChange={(event) => {
                  setFilter(event.target.value);
                  setLimit(page);
                }}
              />
            </label>
            <button type="button" onClick={() => pickShown(true)} disabled={shown.length === 0}>
              Select all
            </button>
            <button type="button" onClick={() => pickShown(false)} disabled={!shown.some((task) => picked.has(task.external_id))}>
              Select none
            </button>
            <span className="count" role="status">
              {chosen.length} of {all.length} selected
            </span>
          </div>
          <ul className="pick-list" aria-label="Tracker tasks">
            {shown.slice(0, limit).map((task) => (
              <li key={task.external_id} className={task.imported ? 'imported' : undefined}>
                <label className="check">
                  <input type="checkbox" checked={picked.has(task.external_id)} onChange={(event) => toggle(task, event.target.checked)} />
                  {task.title}
                </label>
                <span className={`badge badge-${task.status}`}>{statusLabel(task.status)}</span>
                {task.imported && (
                  <span className="badge badge-imported" title="Imported before: importing it again updates it">
                    imported
                  </span>
                )}
                <a href={task.url} target="_blank" rel="noreferrer" className="muted external-id" aria-label={`${task.title} in ${tracker.name}`}>
                  {task.external_id}
                </a>
              </li>
            ))}
          </ul>
          {shown.length === 0 && <p className="empty">No task matches “{filter.trim()}”.</p>}
          {shown.length > limit && (
            <button type="button" className="link" onClick={() => setLimit((current) => current + page)}>
              Show {Math.min(page, shown.length - limit)} more of {shown.length - limit}
            </button>
          )}
          {again > 0 && (
            <p className="muted">
              {again === 1 ? 'One of them was' : `${again} of them were`} imported before: importing again updates {again === 1 ? 'it' : 'them'} from {tracker.name}.
            </p>
          )}
        </>
      )}
      <WizardNav onBack={onBack} next={chosen.length === 1 ? 'Import 1 task' : `Import ${chosen.length} tasks`} nextDisabled={chosen.length === 0} />
    </form>
  );
}
