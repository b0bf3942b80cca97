import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useRef, useState, type KeyboardEvent } from 'react';
import type { Usage, UsageGrouping } from '../../../../src/model-calls/model-call.schema.js';
import { api } from '../../shared/api.js';
import { formatCount, formatMs, formatRate } from '../../shared/format.js';
import { ModalDialog } from '../../shared/ModalDialog.js';
import { queryKeys } from '../../shared/query-keys.js';
import { periodLabels, periodPhrase, periodRange, usagePeriods, type UsagePeriod } from './usage-period.js';
import { UsageTable } from './UsageTable.js';

/** The tabs, in order: "By model" … "By source". */
const nouns: Record<UsageGrouping, string> = { model: 'model', day: 'day', project: 'project', task: 'task', run: 'run', source: 'source' };
const groupings = Object.keys(nouns) as UsageGrouping[];
const periodKey = 'wfhub.usage.period';
const groupingKey = 'wfhub.usage.by';

function saved<Value extends string>(key: string, values: readonly Value[], fallback: Value): Value {
  const value = localStorage.getItem(key);
  return values.includes(value as Value) ? (value as Value) : fallback;
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/**
 * What the model server was asked, summed: calls, tokens, time and speed over a period, then a
 * table by model, day, project, task, run or source. Kept up to date while it is open.
 */
export function UsageDialog({ onClose }: { onClose: () => void }) {
  const title = useId();
  const totalsTitle = useId();
  const [period, setPeriod] = useState<UsagePeriod>(() => saved(periodKey, usagePeriods, 'week'));
  const [by, setBy] = useState<UsageGrouping>(() => saved(groupingKey, groupings, 'model'));
  const tabs = useRef<Partial<Record<UsageGrouping, HTMLButtonElement | null>>>({});
  const firstControl = useRef<HTMLSelectElement>(null);
  const query = { by, ...periodRange(period) };
  const usage = useQuery({
    queryKey: queryKeys.usage(query),
    queryFn: () => api<Usage>('GET', `/usage?${new URLSearchParams(query)}`),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });

  const choosePeriod = (next: UsagePeriod) => {
    setPeriod(next);
    localStorage.setItem(periodKey, next);
  };
  const choose = (next: UsageGrouping, focus = false) => {
    setBy(next);
    localStorage.setItem(groupingKey, next);
    if (focus) tabs.current[next]?.focus();
  };
  // Arrow keys move between the tabs, as tabs do.
  const onTabKey = (event: KeyboardEvent) => {
    const index = groupings.indexOf(by);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: groupings.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    choose(groupings[(next + groupings.length) % groupings.length]!, true);
  };

  const data = usage.data;
  const totals = data?.totals;
  const shownBy = data?.by ?? by;
  return (
    <ModalDialog labelledBy={title} className="usage-dialog" onClose={onClose} initialFocus={firstControl}>
      <div className="dialog-head">
        <h2 id={title}>Usage</h2>
        <select ref={firstControl} className="usage-period" aria-label="Period" value={period} onChange={(event) => choosePeriod(event.target.value as UsagePeriod)}>
          {usagePeriods.map((value) => (
            <option key={value} value={value}>
              {periodLabels[value]}
            </option>
          ))}
        </select>
        {usage.isPlaceholderData && <span className="muted" aria-hidden="true">Updating…</span>}
        <button type="button" className="icon close" aria-label="Close the usage" onClick={onClose}>
          ×
        </button>
      </div>
      <p className="muted dialog-intro">Every call to the model server: wfhub’s agent’s (runs, chats, image descriptions) and those made through /ollama. Days are UTC days.</p>
      {usage.isError && <p role="alert">{usage.error.message}</p>}
      {usage.isPending && <p className="muted">Summing the calls…</p>}
      {totals && (
        <section aria-labelledby={totalsTitle} className="usage-totals">
          <h3 id={totalsTitle}>Totals, {periodLabels[period].toLowerCase()}</h3>
          <dl className="run-stats">
            <Stat label="Calls" value={formatCount(totals.calls)} />
            <Stat label="Prompt tokens" value={formatCount(totals.prompt_tokens)} />
            <Stat label="Completion tokens" value={formatCount(totals.completion_tokens)} />
            <Stat label="Average call" value={totals.average_ms === null ? '—' : formatMs(totals.average_ms)} />
            <Stat label="Speed" value={totals.tokens_per_second === null ? '—' : formatRate(totals.tokens_per_second)} />
            <Stat label="Failed calls" value={formatCount(totals.failed_calls)} />
          </dl>
        </section>
      )}
      <div role="tablist" aria-label="Group by" className="usage-tabs" onKeyDown={onTabKey}>
        {groupings.map((value) => (
          <button
            key={value}
            ref={(element) => {
              tabs.current[value] = element;
            }}
            type="button"
            role="tab"
            id={`usage-tab-${value}`}
            aria-controls="usage-panel"
            aria-selected={value === by}
            tabIndex={value === by ? 0 : -1}
            onClick={() => choose(value)}
          >
            By {nouns[value]}
          </button>
        ))}
      </div>
      <div id="usage-panel" role="tabpanel" aria-labelledby={`usage-tab-${by}`} className="usage-panel" aria-busy={usage.isPlaceholderData}>
        {totals && totals.calls === 0 && <p className="empty">No calls to the model server {periodPhrase[period]}.</p>}
        {data && totals && totals.calls > 0 && (
          <UsageTable
            by={shownBy}
            rows={data.rows}
            caption={`By ${nouns[shownBy]}${shownBy === 'day' ? ' (UTC)' : ''}, ${periodLabels[period].toLowerCase()}${data.rows.length >= 100 ? ' (the first 100 rows)' : ''}`}
            onFollow={onClose}
          />
        )}
      </div>
    </ModalDialog>
  );
}
