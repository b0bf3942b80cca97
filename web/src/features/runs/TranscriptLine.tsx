import { memo } from 'react';
import { GateLine } from './GateLine.js';
import type { TranscriptItem } from './transcript.js';

/** Redrawn only when its own text grows or its result arrives (`version`), not on every event. */
export const TranscriptLine = memo(function TranscriptLine({ item }: { item: TranscriptItem; version: number }) {
  if (item.kind === 'text') return <li className={item.reasoning ? 'reasoning' : 'assistant'}>{item.text}</li>;
  if (item.kind === 'note') return <li className={`note note-${item.level}`}>{item.message}</li>;
  if (item.kind === 'gate') return <GateLine gate={item.gate} />;
  return (
    <li className={`tool ${item.result ? (item.result.ok ? 'tool-ok' : 'tool-failed') : 'tool-running'}`} aria-label={`Tool call ${item.name}`}>
      <details>
        <summary>
          <code>{item.name}</code> <span className="muted">{summarize(item.arguments)}</span>
          <span className="tool-state">{item.result ? `${item.result.ok ? 'ok' : (item.result.code ?? 'failed')} · ${item.result.durationMs} ms` : 'running…'}</span>
        </summary>
        <ToolArguments args={item.arguments} />
        {item.result && <pre className="tool-output">{item.result.output}</pre>}
      </details>
    </li>
  );
});

/** A call's arguments: short ones as JSON, long texts (a file's content, a script) as they are. */
function ToolArguments({ args }: { args: unknown }) {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return <pre className="tool-args">{JSON.stringify(args, null, 2) ?? ''}</pre>;
  const entries = Object.entries(args as Record<string, unknown>);
  const long = entries.filter(([, value]) => typeof value === 'string' && value.includes('\n'));
  const short = Object.fromEntries(entries.filter((entry) => !long.includes(entry)));
  return (
    <>
      {Object.keys(short).length > 0 && <pre className="tool-args">{JSON.stringify(short, null, 2)}</pre>}
      {long.map(([key, value]) => (
        <div key={key} className="tool-args">
          <span className="muted">{key}</span>
          <pre>{value as string}</pre>
        </div>
      ))}
    </>
  );
}

/** The argument a person looks for first: the path, the command, the pattern. */
function summarize(args: unknown): string {
  if (!args || typeof args !== 'object') return '';
  const record = args as Record<string, unknown>;
  const first = record.path ?? record.command ?? record.pattern ?? record.query ?? Object.values(record)[0];
  const text = typeof first === 'string' ? first : JSON.stringify(first ?? '');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** What makes an item's line change: its text growing, its result arriving. */
export const itemVersion = (item: TranscriptItem): number => (item.kind === 'text' ? item.text.length : item.kind === 'tool' ? (item.result ? 1 : 0) : 0);
