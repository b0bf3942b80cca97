import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Pipeline } from '../../../../src/director/pipeline.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { defaultPipelineBody } from '../../shared/pipeline.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useNodes } from '../../shared/use-nodes.js';

type Draft = { nodes: string[]; max_attempts: string; check_timeout_seconds: string };

const draftOf = (pipeline: Pipeline): Draft => ({ nodes: pipeline.nodes, max_attempts: String(pipeline.max_attempts), check_timeout_seconds: String(pipeline.check_timeout_seconds) });

/** The roles the project's tasks on autopilot go through, in order, with the attempts and the checks' time limit. */
export function PipelineEditor({ projectId }: { projectId: number }) {
  const pipeline = useQuery({ queryKey: queryKeys.pipeline(projectId), queryFn: () => api<Pipeline>('GET', `/projects/${projectId}/pipeline`) });
  return (
    <section className="editor-section" aria-label="Pipeline">
      {/* Folded to its one line: the settings above are the ones changed most. */}
      <details className="pipeline-details">
        <summary>
          <h3>Pipeline</h3> <span className="muted">{pipeline.data?.nodes.join(' → ')}</span>
        </summary>
        {pipeline.error instanceof ApiError && <p role="alert">{pipeline.error.message}</p>}
        {pipeline.data && <PipelineForm key={projectId} projectId={projectId} pipeline={pipeline.data} />}
      </details>
    </section>
  );
}

function PipelineForm({ projectId, pipeline }: { projectId: number; pipeline: Pipeline }) {
  const client = useQueryClient();
  const nodes = useNodes();
  const [draft, setDraft] = useState(() => draftOf(pipeline));
  const [adding, setAdding] = useState('');
  const save = useMutation({
    mutationFn: (body: unknown) => api<Pipeline>('PUT', `/projects/${projectId}/pipeline`, body),
    onSuccess: (saved) => {
      setDraft(draftOf(saved));
      client.setQueryData(queryKeys.pipeline(projectId), saved);
    },
  });
  const change = (next: Partial<Draft>) => {
    save.reset();
    setDraft((current) => ({ ...current, ...next }));
  };
  const move = (index: number, by: -1 | 1) => {
    const next = [...draft.nodes];
    [next[index], next[index + by]] = [next[index + by]!, next[index]!];
    change({ nodes: next });
  };
  // A number field left empty keeps what the pipeline has.
  const numberOrNothing = (value: string) => (value.trim() === '' ? undefined : Number(value));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ nodes: draft.nodes, max_attempts: numberOrNothing(draft.max_attempts), check_timeout_seconds: numberOrNothing(draft.check_timeout_seconds) });
  };
  const choices = (nodes.data ?? []).map((node) => node.name).filter((name) => !draft.nodes.includes(name));
  const changed = JSON.stringify(draft) !== JSON.stringify(draftOf(pipeline));

  return (
    // The server says what is wrong with a value (its own words beat the browser's bubble).
    <form className="pipeline-form" aria-label="Pipeline settings" onSubmit={submit} noValidate>
      <p className="muted">
        {pipeline.is_default ? 'The default pipeline. ' : ''}A task on autopilot goes through these roles in order; a failing gate sends it back to dev, up to the attempts below, then blocks it.
      </p>
      <ol className="pipeline-roles" aria-label="Roles in order">
        {draft.nodes.map((name, index) => (
          <li key={name}>
            <span className="role-index">{index + 1}.</span>
            <span className="role-name">{name}</span>
            <button type="button" className="icon" aria-label={`Move ${name} up`} disabled={index === 0} onClick={() => move(index, -1)}>
              ↑
            </button>
            <button type="button" className="icon" aria-label={`Move ${name} down`} disabled={index === draft.nodes.length - 1} onClick={() => move(index, 1)}>
              ↓
            </button>
            <button type="button" className="icon" aria-label={`Remove ${name}`} onClick={() => change({ nodes: draft.nodes.filter((other) => other !== name) })}>
              ×
            </button>
          </li>
        ))}
      </ol>
      {draft.nodes.length === 0 && <p className="hint">Add at least one role.</p>}
      <div className="inline-form">
        <label>
          <span className="visually-hidden">Role to add</span>
          <select value={adding} onChange={(event) => setAdding(event.target.value)}>
            <option value="">Add a role…</option>
            {choices.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!adding || draft.nodes.length >= 20}
          onClick={() => {
            change({ nodes: [...draft.nodes, adding] });
            setAdding('');
          }}
        >
          Add role
        </button>
      </div>
      <div className="field-row">
        <label>
          Max attempts
          <input type="number" min={1} max={20} step={1} value={draft.max_attempts} onChange={(event) => change({ max_attempts: event.target.value })} />
        </label>
        <label>
          Check timeout (seconds)
          <input type="number" min={1} max={3600} step={1} value={draft.check_timeout_seconds} onChange={(event) => change({ check_timeout_seconds: event.target.value })} />
        </label>
      </div>
      <div className="actions">
        <button type="submit" disabled={save.isPending || !changed}>
          Save pipeline
        </button>
        <button type="button" disabled={save.isPending} onClick={() => save.mutate(defaultPipelineBody)}>
          Reset to default
        </button>
        {save.isSuccess && !changed && <span role="status">Saved</span>}
      </div>
      {save.error instanceof ApiError && <p role="alert">{save.error.message}</p>}
    </form>
  );
}
