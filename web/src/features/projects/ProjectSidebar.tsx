import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import type { Project } from '../../../../src/projects/project.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { formatTime } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';

/** A hint of the folder the server will pick from a project name: "My Shop" becomes "my-shop". */
const folderOf = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** What a project is, shown while its entry is hovered or focused. */
function ProjectCard({ project }: { project: Project }) {
  const environment = Object.entries(project.environment);
  return (
    <div className="project-card" role="tooltip" id={`project-card-${project.id}`}>
      <dl>
        <dt>Id</dt>
        <dd>#{project.id}</dd>
        <dt>Workspace</dt>
        <dd className="file-name">{project.workspace_dir}</dd>
        <dt>Environment</dt>
        <dd>{environment.length === 0 ? 'none' : environment.map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' · ')}</dd>
        <dt>Created</dt>
        <dd>{formatTime(project.created_at)}</dd>
      </dl>
    </div>
  );
}

/** The projects, to pick one, add one or delete one. */
export function ProjectSidebar({ selected, onSelect }: { selected: number | undefined; onSelect: (id: number | undefined) => void }) {
  const client = useQueryClient();
  const projects = useQuery({ queryKey: queryKeys.projects, queryFn: () => api<Project[]>('GET', '/projects?limit=500') });
  // A project deleted elsewhere (another window, the CLI) is not left open.
  const gone = selected !== undefined && projects.isSuccess && !projects.data.some((project) => project.id === selected);
  useEffect(() => {
    if (gone) onSelect(undefined);
  }, [gone, onSelect]);
  const [name, setName] = useState('');
  const [folder, setFolder] = useState('');
  const create = useMutation({
    // Without a folder the server picks a free one from the name (my-shop, then my-shop-2, ...).
    mutationFn: () => api<Project>('POST', '/projects', { name: name.trim(), ...(folder.trim() && { workspace_path: folder.trim() }) }),
    onSuccess: (project) => {
      setName('');
      setFolder('');
      // In the list before it is selected, so it is never taken for one deleted elsewhere.
      client.setQueryData<Project[]>(queryKeys.projects, (old) => (old && !old.some((item) => item.id === project.id) ? [...old, project] : old));
      void client.invalidateQueries({ queryKey: queryKeys.projects, exact: true });
      onSelect(project.id);
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) => api<void>('DELETE', `/projects/${id}`),
    onSuccess: (_, id) => {
      if (selected === id) onSelect(undefined);
      void client.invalidateQueries({ queryKey: queryKeys.projects });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) create.mutate();
  };

  return (
    <nav className="sidebar" aria-label="Projects">
      <h2>Projects</h2>
      {projects.isError && <p role="alert">{(projects.error as Error).message}</p>}
      {projects.data?.length === 0 && <p className="empty">No projects yet: add one below.</p>}
      <ul>
        {projects.data?.map((project) => (
          <li key={project.id} className={project.id === selected ? 'selected' : undefined}>
            <button
              type="button"
              className="project"
              aria-current={project.id === selected ? 'page' : undefined}
              aria-describedby={`project-card-${project.id}`}
              onClick={() => onSelect(project.id)}
            >
              {project.name}
            </button>
            <ProjectCard project={project} />
            <a className="icon" href={`#/projects/${project.id}/settings`} aria-label={`Edit project ${project.name}`} title="Edit">
              ✎
            </a>
            <button
              type="button"
              className="icon"
              aria-label={`Delete project ${project.name}`}
              onClick={() => {
                if (window.confirm(`Delete project "${project.name}" and its tasks? Its folder stays on disk.`)) remove.mutate(project.id);
              }}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} aria-label="New project">
        <label>
          Name
          <input
            value={name}
            onChange={(event) => {
              setName(event.target.value);
              create.reset();
            }}
            placeholder="My shop"
            required
            maxLength={200}
          />
        </label>
        <label>
          Folder
          <input value={folder} onChange={(event) => setFolder(event.target.value)} placeholder={folderOf(name) || 'my-shop'} maxLength={500} />
        </label>
        <button type="submit" disabled={create.isPending || !name.trim()}>
          Add project
        </button>
        {create.error instanceof ApiError && <p role="alert">{create.error.message}</p>}
        {remove.error instanceof ApiError && <p role="alert">{remove.error.message}</p>}
      </form>
    </nav>
  );
}
