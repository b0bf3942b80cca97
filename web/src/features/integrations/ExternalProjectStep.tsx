import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { plural, type Credential, type ExternalProject, type TrackerInfo } from './integrations-api.js';
import { StepTitle } from './StepTitle.js';
import { WizardNav } from './WizardNav.js';

/** Past this many, a filter box helps find one. */
const filterFrom = 8;

/** Step 3: the tracker's project (team, repository) the tasks come from. */
export function ExternalProjectStep({
  tracker,
  credential,
  selected,
  onBack,
  onNext,
}: {
  tracker: TrackerInfo;
  credential: Credential;
  selected: ExternalProject | undefined;
  onBack: () => void;
  onNext: (project: ExternalProject) => void;
}) {
  // A tracker's refusal is worth showing at once, not after a silent retry.
  const projects = useQuery({
    queryKey: queryKeys.externalProjects(credential.id),
    queryFn: () => api<ExternalProject[]>('GET', `/integrations/credentials/${credential.id}/projects`),
    retry: false,
  });
  const [choice, setChoice] = useState(selected?.id ?? '');
  const [filter, setFilter] = useState('');
  const title = useId();
  const all = projects.data ?? [];
  const needle = filter.trim().toLowerCase();
  const shown = needle ? all.filter((project) => project.name.toLowerCase().includes(needle) || project.id.toLowerCase().includes(needle)) : all;
  const picked = all.find((project) => project.id === choice);
  const label = tracker.project_label;
  const labels = plural(label);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (picked) onNext(picked);
  };

  return (
    <form className="wizard-step" aria-labelledby={title} onSubmit={submit}>
      <StepTitle id={title}>Which {label}?</StepTitle>
      <p className="muted">
        {tracker.name} as {credential.account}
        {projects.data && ` · ${all.length} ${all.length === 1 ? label : labels}`}
      </p>
      {projects.isPending && <p className="muted">Asking {tracker.name} for its {labels}…</p>}
      {projects.isError && (
        <div className="actions">
          <p role="alert">{projects.error.message}</p>
          <button type="button" onClick={() => void projects.refetch()} disabled={projects.isFetching}>
            Try again
          </button>
        </div>
      )}
      {projects.data && all.length === 0 && <p className="empty">This token sees no {labels}.</p>}
      {all.length > filterFrom && (
        <label>
          Filter {labels}
          <input type="search" value={filter} onChange={(event) => setFilter(event.target.value)} placeholder="Name" />
        </label>
      )}
      {all.length > 0 && (
        <fieldset className="choices scroll-list">
          <legend className="visually-hidden">{label}</legend>
          {shown.map((project) => (
            <label key={project.id} className="choice">
              <input type="radio" name="external-project" checked={choice === project.id} onChange={() => setChoice(project.id)} />
              <span>{project.name}</span>
            </label>
          ))}
          {shown.length === 0 && <p className="empty">No {label} matches “{filter.trim()}”.</p>}
        </fieldset>
      )}
      <WizardNav onBack={onBack} next="Next" nextDisabled={!picked} />
    </form>
  );
}
