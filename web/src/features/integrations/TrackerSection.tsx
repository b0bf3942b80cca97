import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { formatBytes, formatTime } from '../../shared/format.js';
import { api } from '../../shared/api.js';
import { queryKeys } from '../../shared/query-keys.js';
import { fetchTaskLink, trackerName, useTrackers, type TaskLink } from './integrations-api.js';

/**
 * Where a task imported from a tracker came from, and whether its changes reached it: synced,
 * pending, or failed with the tracker's error and when it is tried again ("Retry now" does not
 * wait). Nothing for a task made in wfhub. A change to the task reads it again (the live feed).
 */
export function TrackerSection({ taskId }: { taskId: number }) {
  const client = useQueryClient();
  const key = queryKeys.tracker(taskId);
  const link = useQuery({
    queryKey: key,
    queryFn: () => fetchTaskLink(taskId),
    // A push under way ends with a change the feed tells; this covers a feed that is down.
    refetchInterval: (query) => (query.state.data?.sync.state === 'pending' ? 5000 : false),
  });
  const trackers = useTrackers();
  const retry = useMutation({
    mutationFn: () => api<TaskLink>('POST', `/tasks/${taskId}/tracker/sync`),
    onSuccess: (answer) => client.setQueryData(key, answer),
  });
  if (link.isError) {
    return (
      <section className="editor-section tracker" aria-label="Tracker">
        <p role="alert">{link.error.message}</p>
      </section>
    );
  }
  if (!link.data) return null;
  const { sync } = link.data;
  const name = trackerName(trackers.data, link.data.provider);

  return (
    <section className="editor-section tracker" aria-label="Tracker">
      <div className="tracker-line">
        <span className="tracker-label">Tracker</span>
        <span>{name}</span>
        <a href={link.data.url} target="_blank" rel="noreferrer" title={link.data.url}>
          {/* An issue number alone says little: GitHub's own way is owner/repo#number. */}
          {link.data.provider === 'github' ? `${link.data.external_project_id}#${link.data.external_id}` : link.data.external_id}
        </a>
        <span className={`badge sync-${sync.state}`} role="status">
          <span className="visually-hidden">Sync: </span>
          {sync.state}
        </span>
        {sync.state !== 'synced' && (
          <button type="button" className="link" disabled={retry.isPending} onClick={() => retry.mutate()}>
            {retry.isPending ? 'Retrying…' : 'Retry now'}
          </button>
        )}
      </div>
      {sync.state === 'failed' && (
        <p className="tracker-failure">
          <span className="note-error">{sync.error}</span>
          {sync.next_attempt_at && <span className="muted"> · next attempt {formatTime(sync.next_attempt_at)}</span>}
        </p>
      )}
      {retry.error && <p role="alert">{retry.error.message}</p>}
      {link.data.attachments.length > 0 && (
        <ul className="tracker-files" aria-label={`Files on ${name}`}>
          {link.data.attachments.map((file) => (
            <li key={file.url}>
              <a href={file.url} target="_blank" rel="noreferrer" className="file-name">
                {file.name}
              </a>
              {file.size !== undefined && <span className="muted">{formatBytes(file.size)}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
