import { useId } from 'react';
import type { ImportState } from './use-tracker-import.js';
import { StepTitle } from './StepTitle.js';

/** Step 6: the import under way, then what it did, with the way to the board. */
export function ImportProgress({ state, trackerName, boardHref, onMore }: { state: ImportState; trackerName: string; boardHref: string; onMore: () => void }) {
  const title = useId();
  const { done, total } = state;
  return (
    <section className="wizard-step" aria-labelledby={title} aria-busy={state.status === 'running'}>
      <StepTitle id={title}>{state.status === 'running' ? `Importing from ${trackerName}…` : state.status === 'finished' ? 'Imported' : 'The import stopped'}</StepTitle>
      <div className="import-progress">
        <progress aria-label="Import progress" value={done} max={Math.max(total, 1)} />
        <span className="muted">
          {done} of {total} {total === 1 ? 'task' : 'tasks'}
        </span>
      </div>
      {state.status === 'failed' && <p role="alert">{state.message}</p>}
      {state.status === 'finished' && (
        <div role="status" className="import-result">
          <dl className="run-stats">
            <div>
              <dt>Created</dt>
              <dd>{state.result.created}</dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>{state.result.updated}</dd>
            </div>
            <div>
              <dt>Unchanged</dt>
              <dd>{state.result.unchanged}</dd>
            </div>
            <div className={state.result.failed.length > 0 ? 'failed' : undefined}>
              <dt>Failed</dt>
              <dd>{state.result.failed.length}</dd>
            </div>
          </dl>
          {state.result.failed.length > 0 && (
            <ul className="import-failures" aria-label="Tasks not imported">
              {state.result.failed.map((failure) => (
                <li key={failure.external_id}>
                  <span className="file-name">{failure.external_id}</span>: {failure.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {state.status !== 'running' && (
        <div className="actions wizard-nav">
          <button type="button" onClick={onMore}>
            {state.status === 'failed' ? 'Back to the tasks' : 'Import more'}
          </button>
          <a className="button-link" href={boardHref}>
            Open the board
          </a>
        </div>
      )}
    </section>
  );
}
