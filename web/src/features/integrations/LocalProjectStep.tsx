import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import type { Project } from '../../../../src/projects/project.schema.js';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import type { Credential, ExternalProject, Mapping, TrackerInfo } from './integrations-api.js';
import { StepTitle } from './StepTitle.js';
import { WizardNav } from './WizardNav.js';

/** Step 4: the wfhub project the tasks go into (the one the wizard was opened from, unless changed); links the two. */
export function LocalProjectStep({
  tracker,
  credential,
  external,
  projectId,
  onBack,
  onNext,
}: {
  tracker: TrackerInfo;
  credential: Credential;
  external: ExternalProject;
  projectId: number;
  onBack: () => void;
  onNext: (mapping: Mapping) => void;
}) {
  const client = useQueryClient();
  const projects = useQuery({ queryKey: queryKeys.projects, queryFn: () => api<Project[]>('GET', '/projects?limit=500') });
  const [target, setTarget] = useState(projectId);
  const link = useMutation({
    mutationFn: () => api<Mapping>('POST', '/integrations/project-mapping', { credential_id: credential.id, external_project_id: external.id, project_id: target }),
    onSuccess: (mapping) => {
      void client.invalidateQueries({ queryKey: queryKeys.mappings(mapping.project_id), exact: true });
      onNext(mapping);
    },
  });
  const title = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    link.mutate();
  };

  return (
    <form className="wizard-step" aria-labelledby={title} onSubmit={submit}>
      <StepTitle id={title}>Into which wfhub project?</StepTitle>
      <p className="muted">
        The tasks of the {tracker.project_label} <strong>{external.name}</strong> on {tracker.name} become tasks of this project; their status and comments go back to {tracker.name}.
      </p>
      {projects.isError && <p role="alert">{projects.error.message}</p>}
      <label>
        wfhub project
        <select
          value={target}
          onChange={(event) => {
            link.reset();
            setTarget(Number(event.target.value));
          }}
        >
          {/* The one it was opened from, even before the list is in. */}
          {!projects.data?.some((project) => project.id === target) && <option value={target}>#{target}</option>}
          {projects.data?.map((project) => (
            <option key={project.id} value={project.id}>
              {project.name}
            </option>
          ))}
        </select>
      </label>
      {link.error && <p role="alert">{link.error.message}</p>}
      <WizardNav onBack={onBack} next={link.isPending ? 'Linking…' : 'Next'} busy={link.isPending} />
    </form>
  );
}
