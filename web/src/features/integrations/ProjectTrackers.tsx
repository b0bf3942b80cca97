import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../shared/api.js';
import { routeHash } from '../../app/route.js';
import { queryKeys } from '../../shared/query-keys.js';
import { trackerName, useTrackers, type Mapping } from './integrations-api.js';

/** In a project's settings: the tracker projects it imports from, and the way to import more. */
export function ProjectTrackers({ projectId }: { projectId: number }) {
  const client = useQueryClient();
  const key = queryKeys.mappings(projectId);
  const mappings = useQuery({ queryKey: key, queryFn: () => api<Mapping[]>('GET', `/integrations/mappings?project_id=${projectId}`) });
  const trackers = useTrackers();
  const forget = useMutation({
    mutationFn: (id: number) => api<void>('DELETE', `/integrations/project-mapping/${id}`),
    onSettled: () => client.invalidateQueries({ queryKey: key, exact: true }),
  });
  const list = mappings.data ?? [];

  return (
    <section className="editor-section" aria-label="Trackers">
      <h3>
        Trackers <span className="count">{list.length > 0 && list.length}</span>
      </h3>
      {mappings.data && list.length === 0 && <p className="muted">Nothing is imported into this project from a tracker.</p>}
      <ul className="attachments">
        {list.map((mapping) => (
          <li key={mapping.id}>
            <span>{mapping.external_project_name}</span>
            <span className="muted">
              {trackerName(trackers.data, mapping.provider)} · {mapping.linked_tasks} {mapping.linked_tasks === 1 ? 'task' : 'tasks'}
            </span>
            <button
              type="button"
              className="link"
              aria-label={`Stop importing from ${mapping.external_project_name}`}
              disabled={forget.isPending}
              onClick={() =>
                window.confirm(`Stop importing from ${mapping.external_project_name}? Its tasks stay here, no longer synced.`) && forget.mutate(mapping.id)
              }
            >
              Unlink
            </button>
          </li>
        ))}
      </ul>
      <div className="actions">
        <a className="button-link" href={routeHash({ projectId, panel: 'import' })}>
          Import from a tracker
        </a>
      </div>
      {mappings.error && <p role="alert">{mappings.error.message}</p>}
      {forget.error && <p role="alert">{forget.error.message}</p>}
    </section>
  );
}
