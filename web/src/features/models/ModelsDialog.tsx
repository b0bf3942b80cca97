import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { agentSettingsSchema } from '../../../../src/agent/agent.schema.js';
import { api } from '../../shared/api.js';
import { formatBytes } from '../../shared/format.js';
import { ModalDialog } from '../../shared/ModalDialog.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useModels } from '../../shared/use-models.js';
import { cancelPull, dismissPull, startPull, usePull, type PullState } from './model-pull.js';

type AgentSettings = z.output<typeof agentSettingsSchema>;

/** Models that run well on a laptop, offered as the field is typed in. */
const suggestions = [
  { name: 'qwen2.5-coder:3b', note: 'Qwen2.5 Coder 3B, about 1.9 GB' },
  { name: 'qwen3:4b', note: 'Qwen3 4B, about 2.5 GB' },
  { name: 'qwen2.5-coder:7b', note: 'Qwen2.5 Coder 7B, about 4.7 GB' },
];

/** "1.2 GB of 2.5 GB · 48%" */
function bytesLine(completed: number, total: number): string {
  return `${formatBytes(completed)} of ${formatBytes(total)} · ${Math.floor((completed / total) * 100)}%`;
}

function PullProgress({ state }: { state: Extract<PullState, { phase: 'pulling' }> }) {
  const sized = state.total !== undefined && state.completed !== undefined;
  return (
    <div className="pull-progress">
      <p className="pull-status">
        Pulling <span className="usage-model">{state.model}</span>: {state.status}
        {state.layers > 1 && <span className="muted"> (layer {state.layers})</span>}
      </p>
      <div className="import-progress">
        {/* No value while Ollama tells no sizes (the manifest, the checks): the bar says it is busy. */}
        <progress key={sized ? 'sized' : 'busy'} aria-label="Pull progress" {...(sized && { value: state.completed, max: state.total })} />
        <span className="muted pull-bytes">{sized ? bytesLine(state.completed!, state.total!) : ' '}</span>
        <button type="button" onClick={cancelPull}>
          Cancel
        </button>
      </div>
    </div>
  );
}

function PullOutcome({ state }: { state: PullState }) {
  if (state.phase === 'finished') {
    return (
      <p role="status" className="pull-done">
        Pulled <span className="usage-model">{state.model}</span>: it is ready to use.
      </p>
    );
  }
  if (state.phase === 'failed') {
    return (
      <p role="alert">
        Could not pull {state.model}: {state.message}
      </p>
    );
  }
  if (state.phase === 'cancelled') {
    return (
      <p role="status">
        Stopped pulling {state.model}. What was downloaded stays on the model server: pulling it again carries on from there.
      </p>
    );
  }
  return null;
}

/**
 * The model server's models, and pulling one with its progress. The pull goes on when the dialog
 * is closed (the header's Models button shows how far it is); Cancel stops it.
 */
export function ModelsDialog({ onClose }: { onClose: () => void }) {
  const client = useQueryClient();
  const title = useId();
  const listTitle = useId();
  const pullTitle = useId();
  const listId = useId();
  const helpId = useId();
  const field = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const models = useModels();
  const settings = useQuery({ queryKey: queryKeys.agentSettings, queryFn: () => api<AgentSettings>('GET', '/api/config'), staleTime: 60_000 });
  const pull = usePull();
  const pulling = pull.phase === 'pulling';
  const config = settings.data;
  const defaultMissing = config && models.data && !models.data.some((model) => model.name === config.model);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const model = name.trim();
    if (!model || pulling) return;
    dismissPull();
    // The field keeps the focus (the Pull button is disabled while it pulls).
    field.current?.focus();
    if ((await startPull(model, client)).phase === 'finished') setName('');
  };

  return (
    <ModalDialog labelledBy={title} className="models-dialog" onClose={onClose} initialFocus={field}>
      <div className="dialog-head">
        <h2 id={title}>Models</h2>
        <button type="button" className="icon close" aria-label="Close the models" onClick={onClose}>
          ×
        </button>
      </div>
      {config && (
        <p className="muted dialog-intro">
          {config.provider === 'ollama' ? 'Ollama' : 'An OpenAI-compatible server'} at <code>{config.model_server}</code>. Runs use <code>{config.model}</code> unless their project
          or role names another.
        </p>
      )}
      <section aria-labelledby={listTitle} className="dialog-section">
        <h3 id={listTitle}>On the model server</h3>
        {models.isPending && <p className="muted">Asking the model server…</p>}
        {models.isError && <p role="alert">{models.error.message}</p>}
        {models.data?.length === 0 && <p className="empty">No model yet: pull one below.</p>}
        {models.data && models.data.length > 0 && (
          <table className="models-table">
            <caption className="visually-hidden">Models on the model server</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Size</th>
                <th scope="col">Parameters</th>
              </tr>
            </thead>
            <tbody>
              {models.data.map((model) => (
                <tr key={model.name}>
                  <th scope="row">
                    <span className="usage-model">{model.name}</span>
                    {config?.model === model.name && <span className="badge">default</span>}
                    {config?.vision_model === model.name && <span className="badge">vision</span>}
                  </th>
                  <td>{model.size_bytes === null ? '—' : formatBytes(model.size_bytes)}</td>
                  <td>{model.parameter_size ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {defaultMissing && config.provider === 'ollama' && (
          <p className="hint">
            The default model, <code>{config.model}</code>, is not on the model server: runs fail until it is.{' '}
            <button
              type="button"
              className="link"
              disabled={pulling}
              onClick={() => {
                setName(config.model);
                field.current?.focus();
              }}
            >
              Pull it
            </button>
          </p>
        )}
      </section>
      <section aria-labelledby={pullTitle} className="dialog-section">
        <h3 id={pullTitle}>Pull a model</h3>
        {config?.provider === 'openai' ? (
          <p>Models are pulled through Ollama; this server uses an OpenAI-compatible one, so add models on that server.</p>
        ) : (
          <form className="pull-form" onSubmit={submit}>
            <label>
              Model name
              <input
                ref={field}
                list={listId}
                value={name}
                onChange={(event) => setName(event.target.value)}
                placeholder="qwen2.5-coder:3b"
                autoComplete="off"
                spellCheck={false}
                aria-describedby={helpId}
                readOnly={pulling}
                required
              />
            </label>
            <datalist id={listId}>
              {suggestions.map((suggestion) => (
                <option key={suggestion.name} value={suggestion.name} label={suggestion.note} />
              ))}
            </datalist>
            <button type="submit" disabled={pulling || !name.trim()}>
              Pull
            </button>
            <p id={helpId} className="field-help muted">
              A name from Ollama’s library (ollama.com/library), such as qwen2.5-coder:3b. A model already pulled is brought up to date.
            </p>
          </form>
        )}
        {pull.phase === 'pulling' && <PullProgress state={pull} />}
        <PullOutcome state={pull} />
      </section>
    </ModalDialog>
  );
}
