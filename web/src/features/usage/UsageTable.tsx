import type { ReactNode } from 'react';
import type { UsageGrouping, UsageRow } from '../../../../src/model-calls/model-call.schema.js';
import { routeHash, type Route } from '../../app/route.js';
import { formatCount, formatMs, formatRate, formatTime } from '../../shared/format.js';
import { followAndClose } from '../../shared/ModalDialog.js';

/** What each grouping's first column is headed. */
export const groupingColumns: Record<UsageGrouping, string> = { model: 'Model', day: 'Day (UTC)', project: 'Project', task: 'Task', run: 'Run', source: 'Source' };

const sourceLabels: Record<string, string> = { agent: 'wfhub’s agent', proxy: 'Clients of /ollama' };

/** A UTC day (YYYY-MM-DD) in the reader's words, still that UTC day. */
const dayLabel = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { timeZone: 'UTC', weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });

function Link({ route, onFollow, children }: { route: Route; onFollow: () => void; children: ReactNode }) {
  return (
    <a href={routeHash(route)} onClick={(event) => followAndClose(event, onFollow)}>
      {children}
    </a>
  );
}

/** A task's or a run's row, linked to it in its project. */
function OwnedKey({ by, id, row, onFollow }: { by: 'task' | 'run'; id: number; row: UsageRow; onFollow: () => void }) {
  const text =
    by === 'run' ? (
      <>
        Run #{id} <span className="muted">· {row.label}</span>
      </>
    ) : (
      row.label
    );
  if (row.project_id === null || row.task_id === null) return text;
  return (
    <Link route={{ projectId: row.project_id, taskId: row.task_id, ...(by === 'run' && { runId: id }) }} onFollow={onFollow}>
      {text}
    </Link>
  );
}

/** A row's first cell: the model, day, project, task, run or source it sums. */
function RowKey({ by, row, onFollow }: { by: UsageGrouping; row: UsageRow; onFollow: () => void }) {
  const { key, label } = row;
  if (by === 'day' && typeof key === 'string') return <time dateTime={key}>{dayLabel(key)}</time>;
  if (by === 'source') return <>{sourceLabels[String(key)] ?? String(key)}</>;
  if (by === 'model') return key === null ? <span className="muted">No model named</span> : <span className="usage-model">{key}</span>;
  const noun = groupingColumns[by];
  if (key === null) return <span className="muted">{by === 'project' ? 'Outside any project' : `No ${noun.toLowerCase()}`}</span>;
  const id = Number(key);
  // The name is looked up now: none means the project or task has been deleted since.
  if (label === null) return <span className="muted">{`${noun} ${id} (deleted)`}</span>;
  if (by === 'project') {
    return (
      <Link route={{ projectId: id }} onFollow={onFollow}>
        {label}
      </Link>
    );
  }
  return <OwnedKey by={by === 'task' ? 'task' : 'run'} id={id} row={row} onFollow={onFollow} />;
}

const orDash = (value: number | null, format: (value: number) => string) => (value === null ? '—' : format(value));

/** The usage rows of one grouping, a real table: a caption, column headers, a header cell per row. */
export function UsageTable({ by, rows, caption, onFollow }: { by: UsageGrouping; rows: UsageRow[]; caption: string; onFollow: () => void }) {
  return (
    <div className="usage-table-wrap">
      <table className="usage-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{groupingColumns[by]}</th>
            <th scope="col">Calls</th>
            <th scope="col">Failed</th>
            <th scope="col">Prompt tokens</th>
            <th scope="col">Completion tokens</th>
            <th scope="col">Average call</th>
            <th scope="col">Speed</th>
            <th scope="col">Last call</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={String(row.key)}>
              <th scope="row">
                <RowKey by={by} row={row} onFollow={onFollow} />
              </th>
              <td>{formatCount(row.calls)}</td>
              <td className={row.failed_calls > 0 ? 'usage-failed' : undefined}>{formatCount(row.failed_calls)}</td>
              <td>{formatCount(row.prompt_tokens)}</td>
              <td>{formatCount(row.completion_tokens)}</td>
              <td>{orDash(row.average_ms, formatMs)}</td>
              <td>{orDash(row.tokens_per_second, formatRate)}</td>
              <td>{row.last_at ? formatTime(row.last_at) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
