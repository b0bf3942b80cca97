import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { PromptPreviewAnswer } from '../../../../src/context/task-context.schema.js';
import type { Run } from '../../../../src/runs/run.schema.js';
import type { Task } from '../../../../src/tasks/task.schema.js';
import { navigate } from '../../app/route.js';
import { api, ApiError } from '../../shared/api.js';
import { formatCount, formatTime } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';
import { executorLabel, useExecutors } from '../../shared/use-executors.js';
import { useModels } from '../../shared/use-models.js';
import { useNodes } from '../../shared/use-nodes.js';
import { useTaskRuns } from './use-task-runs.js';

const active = (run: Run) => run.status === 'queued' || run.status === 'running';

/** Run the agent on the task (role, model, a note), see the prompt it would get, and the task's runs. */
export function RunsSection({ task, runId }: { task: Task; runId?: number }) {
  const client = useQueryClient();
  const runs = useTaskRuns(task.id);
  const nodes = useNodes();
  const roleOf = (run: Run) => nodes.data?.find((item) => item.id === run.node_id)?.name;
  const models = useModels();
  const [node, setNode] = useState('');
  const executors = useExecutors();
  const [model, setModel] = useState('');
  const [executor, setExecutor] = useState('');
  const [message, setMessage] = useState('');
  const choice = { ...(node && { node }), ...(model && { model }), ...(message.trim() && { message: message.trim() }) };
  const running = runs.data?.find(active);
  const trigger = useMutation({
    mutationFn: () => api<Run>('POST', `/tasks/${task.id}/trigger`, { ...choice, ...(executor && { executor }) }),
    onSuccess: (run) => {
      setMessage('');
      void client.invalidateQueries({ queryKey: queryKeys.runs(task.id) });
      navigate({ projectId: task.project_id, taskId: task.id, runId: run.id });
    },
  });
  const preview = useMutation({ mutationFn: () => api<PromptPreviewAnswer>('POST', `/tasks/${task.id}/prompt`, choice) });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!running) trigger.mutate();
  };

  return (
    <section className="editor-section" aria-label="Runs">
      <h3>Runs</h3>
      <form className="run-form" aria-label="Run the agent" onSubmit={submit}>
        <div className="field-row">
          <label>
            Role
            <select value={node} onChange={(event) => setNode(event.target.value)}>
              <option value="">{task.node_name ? `the task's (${task.node_name})` : 'default'}</option>
              {nodes.data?.map((item) => (
                <option key={item.id} value={item.name}>
                  {item.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Model
            <select value={model} onChange={(event) => setModel(event.target.value)}>
              <option value="">the role's or the default</option>
              {models.data?.map((item) => (
                <option key={item.name} value={item.name}>
                  {item.name}
                  {item.parameter_size ? ` (${item.parameter_size})` : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            Executor
            <select value={executor} onChange={(event) => setExecutor(event.target.value)}>
              <option value="">the role's, the project's or wfhub's agent</option>
              {executors.data?.map((item) => (
                <option key={item.name} value={item.name} disabled={!item.installed}>
                  {executorLabel(item)}
                </option>
              ))}
            </select>
          </label>
        </div>
        {models.error instanceof ApiError && <p className="hint">Models unavailable: {models.error.message}</p>}
        <label>
          Note for this run
          <textarea value={message} onChange={(event) => setMessage(event.target.value)} rows={2} placeholder="Optional: further instructions" />
        </label>
        <div className="actions">
          <button type="submit" disabled={Boolean(running) || trigger.isPending}>
            {running ? `Run #${running.id} is ${running.status}` : 'Run'}
          </button>
          <button type="button" onClick={() => preview.mutate()} disabled={preview.isPending}>
            Preview prompt
          </button>
        </div>
        {trigger.error instanceof ApiError && <p role="alert">{trigger.error.message}</p>}
        {preview.error instanceof ApiError && <p role="alert">{preview.error.message}</p>}
      </form>
      {preview.data && <PromptPreview preview={preview.data} onClose={() => preview.reset()} />}
      {runs.data && runs.data.length > 0 && (
        <ul className="runs" aria-label="Runs of the task">
          {runs.data.map((run) => (
            <li key={run.id} className={run.id === runId ? 'selected' : undefined}>
              <a href={`#/projects/${task.project_id}/tasks/${task.id}/runs/${run.id}`} aria-current={run.id === runId ? 'true' : undefined}>
                Run #{run.id}
              </a>
              <span className={`badge run-${run.status}`}>{run.status}</span>
              {run.verdict && (
                <span className={`badge verdict-${run.verdict}`} title="The role's judgement of the work">
                  verdict: {run.verdict}
                </span>
              )}
              <span className="muted">
                {roleOf(run) && `${roleOf(run)} · `}
                {run.executor !== 'builtin' && `${run.executor} · `}
                {run.gates.length > 0 && `${run.gates.filter((gate) => gate.passed || gate.skipped).length}/${run.gates.length} gates · `}
                {run.model ?? 'default model'} · {run.steps} steps · {formatCount(run.prompt_tokens + run.completion_tokens)} tokens · {formatTime(run.created_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PromptPreview({ preview, onClose }: { preview: PromptPreviewAnswer; onClose: () => void }) {
  return (
    <div className="prompt-preview" role="region" aria-label="Prompt preview">
      <div className="comment-head">
        <strong>
          Prompt for {preview.model}
          {preview.node && ` as ${preview.node}`}
        </strong>
        <span className="muted">
          ~{formatCount(preview.estimated_tokens)} of {formatCount(preview.budget)} tokens · window {formatCount(preview.num_ctx)} · {preview.protocol} tools
        </span>
        <button type="button" className="icon" aria-label="Close the prompt preview" onClick={onClose}>
          ×
        </button>
      </div>
      {preview.warning && <p className="hint">{preview.warning}</p>}
      {preview.trimmed.length > 0 && <p className="hint">Trimmed to fit: {preview.trimmed.join(', ')}</p>}
      <details>
        <summary>System prompt</summary>
        <pre>{preview.system}</pre>
      </details>
      <details open>
        <summary>Task message</summary>
        <pre>{preview.user}</pre>
      </details>
    </div>
  );
}
