import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState, type FormEvent } from 'react';
import type { Project } from '../../../../src/projects/project.schema.js';
import { navigate } from '../../app/route.js';
import { api, ApiError } from '../../shared/api.js';
import { formatTime } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';
import { useEscape } from '../../shared/use-escape.js';
import { executorLabel, useExecutors } from '../../shared/use-executors.js';
import { useModels } from '../../shared/use-models.js';
import { ProjectTrackers } from '../integrations/ProjectTrackers.js';
import { ProjectWebhooks } from '../webhooks/ProjectWebhooks.js';
import { PipelineEditor } from './PipelineEditor.js';

type Settings = {
  model: string;
  executor: string;
  isolation: string;
  auto_commit: boolean;
  allow_network: boolean;
  max_steps: string;
  max_run_minutes: string;
  token_budget: string;
  base_branch: string;
  git_remote: string;
};

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));

function settingsOf(project: Project): Settings {
  const settings = project.settings as Record<string, unknown>;
  return {
    model: text(settings.model),
    executor: text(settings.executor),
    isolation: text(settings.isolation),
    auto_commit: settings.auto_commit !== false,
    allow_network: settings.allow_network === true,
    max_steps: text(settings.max_steps),
    max_run_minutes: text(settings.max_run_minutes),
    token_budget: text(settings.token_budget),
    base_branch: text(settings.base_branch),
    git_remote: text(settings.git_remote),
  };
}

/** The form's settings as the API takes them: an emptied field removes the setting (null). */
function settingsBody(settings: Settings): Record<string, unknown> {
  const textOrNull = (value: string) => value.trim() || null;
  const numberOrNull = (value: string) => (value.trim() ? Number(value) : null);
  return {
    model: textOrNull(settings.model),
    executor: textOrNull(settings.executor),
    isolation: textOrNull(settings.isolation),
    // A default is not written down, so a changed default reaches the project too.
    auto_commit: settings.auto_commit ? null : false,
    allow_network: settings.allow_network ? true : null,
    max_steps: numberOrNull(settings.max_steps),
    max_run_minutes: numberOrNull(settings.max_run_minutes),
    token_budget: numberOrNull(settings.token_budget),
    base_branch: textOrNull(settings.base_branch),
    git_remote: textOrNull(settings.git_remote),
  };
}

/** A project's name, folder, environment and run settings, its pipeline, the trackers it imports from, and its webhooks. */
export function ProjectSettings({ projectId }: { projectId: number }) {
  const client = useQueryClient();
  const project = useQuery({ queryKey: queryKeys.project(projectId), queryFn: () => api<Project>('GET', `/projects/${projectId}`) });
  const close = useCallback(() => navigate({ projectId }), [projectId]);
  useEscape(close);
  return (
    <aside className="editor" role="dialog" aria-label="Project settings">
      <div className="editor-head">
        <strong>{project.data?.name ?? 'Project'}</strong>
        <button type="button" className="icon close" aria-label="Close the project settings" onClick={close}>
          ×
        </button>
      </div>
      {project.isError && <p role="alert">{(project.error as Error).message}</p>}
      {project.data && <ProjectForm key={project.data.id} project={project.data} onSaved={(saved) => {
            client.setQueryData(queryKeys.project(saved.id), saved);
            void client.invalidateQueries({ queryKey: queryKeys.projects, exact: true });
          }} />}
      {project.data && <PipelineEditor projectId={project.data.id} />}
      {project.data && <ProjectTrackers projectId={project.data.id} />}
      {project.data && <ProjectWebhooks projectId={project.data.id} />}
    </aside>
  );
}

function ProjectForm({ project, onSaved }: { project: Project; onSaved: (saved: Project) => void }) {
  const models = useModels();
  const executors = useExecutors();
  const [name, setName] = useState(project.name);
  const [folder, setFolder] = useState(project.workspace_path);
  const [environment, setEnvironment] = useState(() => JSON.stringify(project.environment, null, 2));
  const [settings, setSettings] = useState(() => settingsOf(project));
  const [invalid, setInvalid] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Project>('PATCH', `/projects/${project.id}`, body),
    onSuccess: (saved) => {
      setName(saved.name);
      setFolder(saved.workspace_path);
      setEnvironment(JSON.stringify(saved.environment, null, 2));
      setSettings(settingsOf(saved));
      onSaved(saved);
    },
  });
  const set = <Key extends keyof Settings>(key: Key, value: Settings[Key]) => {
    save.reset();
    setSettings((current) => ({ ...current, [key]: value }));
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(environment.trim() || '{}');
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      setInvalid('The environment must be a JSON object, e.g. {"stack": "Django"}.');
      return;
    }
    setInvalid(undefined);
    save.mutate({
      ...(name.trim() !== project.name && { name: name.trim() }),
      ...(folder.trim() !== project.workspace_path && { workspace_path: folder.trim() }),
      environment: parsed,
      settings: settingsBody(settings),
    });
  };
  const modelNames = models.data?.map((model) => model.name) ?? [];

  return (
    <form className="task-fields" aria-label="Project" onSubmit={submit}>
      <p className="muted">
        #{project.id} · {project.workspace_dir} · created {formatTime(project.created_at)}
      </p>
      <label>
        Name
        <input value={name} onChange={(event) => setName(event.target.value)} required maxLength={200} />
      </label>
      <label>
        Folder (in the workspaces dir)
        <input value={folder} onChange={(event) => setFolder(event.target.value)} required maxLength={500} />
      </label>
      <div className="field-row">
        <label>
          Model
          <select value={settings.model} onChange={(event) => set('model', event.target.value)}>
            <option value="">the default</option>
            {settings.model && !modelNames.includes(settings.model) && <option value={settings.model}>{settings.model}</option>}
            {modelNames.map((model) => (
              <option key={model}>{model}</option>
            ))}
          </select>
        </label>
        <label>
          Executor
          <select value={settings.executor} onChange={(event) => set('executor', event.target.value)}>
            <option value="">wfhub's agent (the default)</option>
            {executors.data
              ?.filter((item) => item.name !== 'builtin')
              .map((item) => (
                <option key={item.name} value={item.name}>
                  {executorLabel(item)}
                </option>
              ))}
          </select>
        </label>
        <label>
          Isolation
          <select value={settings.isolation} onChange={(event) => set('isolation', event.target.value)}>
            <option value="">automatic</option>
            <option value="in-place">in-place: in the folder itself</option>
            <option value="worktree">worktree: a branch per task</option>
          </select>
        </label>
      </div>
      <div className="field-row">
        <label>
          Steps per run
          <input type="number" min={1} max={10000} value={settings.max_steps} onChange={(event) => set('max_steps', event.target.value)} placeholder="default" />
        </label>
        <label>
          Minutes per run
          <input type="number" min={0.1} step="any" value={settings.max_run_minutes} onChange={(event) => set('max_run_minutes', event.target.value)} placeholder="default" />
        </label>
        <label>
          Tokens per run
          <input type="number" min={1} value={settings.token_budget} onChange={(event) => set('token_budget', event.target.value)} placeholder="no limit" />
        </label>
      </div>
      <div className="field-row">
        <label>
          Base branch
          <input value={settings.base_branch} onChange={(event) => set('base_branch', event.target.value)} placeholder="the current branch" />
        </label>
        <label>
          Git remote
          <input value={settings.git_remote} onChange={(event) => set('git_remote', event.target.value)} placeholder="none" />
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={settings.auto_commit} onChange={(event) => set('auto_commit', event.target.checked)} />
        Commit what a successful run changed
      </label>
      <label className="check">
        <input type="checkbox" checked={settings.allow_network} onChange={(event) => set('allow_network', event.target.checked)} />
        Let the agent's commands reach the network
      </label>
      <label>
        Environment (JSON: facts the agents are told)
        <textarea value={environment} onChange={(event) => setEnvironment(event.target.value)} rows={5} spellCheck={false} className="code-input" />
      </label>
      <div className="actions">
        <button type="submit" disabled={save.isPending || !name.trim() || !folder.trim()}>
          Save
        </button>
        {save.isSuccess && <span role="status">Saved</span>}
      </div>
      {invalid && <p role="alert">{invalid}</p>}
      {save.error instanceof ApiError && <p role="alert">{save.error.message}</p>}
    </form>
  );
}
