import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import type { Usage } from '../../../../src/model-calls/model-call.schema.js';
import type { Run } from '../../../../src/runs/run.schema.js';
import { api, ApiError } from '../../shared/api.js';
import { formatCount, formatDuration, formatRate, timeOf } from '../../shared/format.js';
import { queryKeys } from '../../shared/query-keys.js';
import { GateLine } from './GateLine.js';
import { sameGate } from './transcript.js';
import { itemVersion, TranscriptLine } from './TranscriptLine.js';
import { useRunTranscript } from './use-run-transcript.js';

/** The diff view brings the syntax highlighter: loaded when a diff is first shown, not with the board. */
const DiffView = lazy(() => import('./DiffView.js').then((module) => ({ default: module.DiffView })));

const ended = (run: Run | undefined) => run !== undefined && !['queued', 'running'].includes(run.status);

/** Ticks once a second while `on`. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!on) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [on]);
  return now;
}

/** One run as it happens: the gates its role checked, the model's text, each tool call, steps, tokens and time, the verdict; cancel, diff, undo. */
export function RunView({ runId }: { runId: number; projectId: number }) {
  const client = useQueryClient();
  const run = useQuery({ queryKey: queryKeys.run(runId), queryFn: () => api<Run>('GET', `/runs/${runId}`) });
  const { transcript, ended: streamEnded, live } = useRunTranscript(runId);
  const data = run.data;
  const done = streamEnded || ended(data);
  const now = useNow(!done);
  const settle = (next: Run) => {
    client.setQueryData(queryKeys.run(runId), next);
    void client.invalidateQueries({ queryKey: queryKeys.runs(next.task_id) });
  };
  // The run's calls to the model server, summed once it has ended.
  const usage = useQuery({
    queryKey: queryKeys.usage({ run_id: runId }),
    queryFn: () => api<Usage>('GET', `/usage?run_id=${runId}`),
    enabled: done,
    staleTime: 60_000,
    select: (summed) => summed.totals,
  });
  const cancel = useMutation({ mutationFn: () => api<Run>('POST', `/runs/${runId}/cancel`), onSuccess: settle });
  const undo = useMutation({ mutationFn: () => api<Run>('POST', `/runs/${runId}/undo`), onSuccess: settle });
  const started = data?.started_at ? timeOf(data.started_at) : undefined;
  const elapsed = started === undefined ? 0 : (data?.finished_at ? timeOf(data.finished_at) : now) - started;
  const steps = Math.max(transcript.steps, data?.steps ?? 0);
  const tokens = done && data ? data.prompt_tokens + data.completion_tokens : transcript.promptTokens + transcript.completionTokens;
  // Gates judged once the agent has answered (the review, the docs check) are on the run, not in its events.
  const told = transcript.gates;
  const judgedAfter = done && data ? data.gates.filter((gate) => !told.some((other) => sameGate(gate, other))) : [];

  return (
    <section className="run-view" aria-label={`Run #${runId}`}>
      <div className="run-head">
        <h3>Run #{runId}</h3>
        <span className={`badge run-${data?.status ?? 'queued'}`} role="status" aria-label="Run status">
          {data?.status ?? '…'}
        </span>
        {data?.verdict && (
          <span className={`badge verdict-${data.verdict}`} title="The role's judgement of the work">
            verdict: {data.verdict}
          </span>
        )}
        {!done && <span className="muted">{live ? 'live' : 'reconnecting…'}</span>}
      </div>
      <dl className="run-stats">
        {data && data.executor !== 'builtin' && (
          <div>
            <dt>Executor</dt>
            <dd aria-label="Executor">{data.executor}</dd>
          </div>
        )}
        <div>
          <dt>Model</dt>
          <dd>{data?.model ?? transcript.model ?? '—'}</dd>
        </div>
        <div>
          <dt>Steps</dt>
          <dd aria-label="Steps">{steps}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd aria-label="Tokens">{formatCount(tokens)}</dd>
        </div>
        <div>
          <dt>Elapsed</dt>
          <dd aria-label="Elapsed">{formatDuration(elapsed)}</dd>
        </div>
        {done && usage.data && usage.data.calls > 0 && (
          <>
            <div>
              <dt>Model calls</dt>
              <dd aria-label="Model calls">
                {formatCount(usage.data.calls)}
                {usage.data.failed_calls > 0 && <span className="muted"> ({formatCount(usage.data.failed_calls)} failed)</span>}
              </dd>
            </div>
            {usage.data.tokens_per_second !== null && (
              <div>
                <dt>Speed</dt>
                <dd aria-label="Speed">{formatRate(usage.data.tokens_per_second)}</dd>
              </div>
            )}
          </>
        )}
      </dl>
      <div className="actions">
        {!done && (
          <button type="button" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
            Cancel run
          </button>
        )}
        {done && data && data.files_changed.length > 0 && !data.undone_at && (
          <button type="button" onClick={() => window.confirm('Put the workspace back as it was before this run?') && undo.mutate()} disabled={undo.isPending}>
            Undo run
          </button>
        )}
        {data?.undone_at && <span className="muted">Undone</span>}
      </div>
      {[cancel.error, undo.error].map((error, index) => error instanceof ApiError && <p key={index} role="alert">{error.message}</p>)}
      {data?.error && (
        <p role="alert">
          {data.error.code}: {data.error.message}
        </p>
      )}
      <ol className="transcript" aria-label="Transcript">
        {transcript.items.map((item, index) => (
          <TranscriptLine key={index} item={item} version={itemVersion(item)} />
        ))}
        {judgedAfter.map((gate, index) => (
          <GateLine key={`after-${index}`} gate={gate} />
        ))}
        {!done && transcript.items.length === 0 && <li className="muted">{data?.status === 'queued' ? 'Waiting for a worker…' : 'Starting…'}</li>}
      </ol>
      {done && data?.summary && (
        <div className="run-summary" role="region" aria-label="Summary">
          <h4>Summary</h4>
          <p>{data.summary}</p>
        </div>
      )}
      {done && data && (
        <>
          <h4>Changes</h4>
          <Suspense fallback={<p className="muted">Loading the diff…</p>}>
            <DiffView runId={runId} refreshKey={data.undone_at ? String(timeOf(data.undone_at)) : data.status} />
          </Suspense>
        </>
      )}
    </section>
  );
}
