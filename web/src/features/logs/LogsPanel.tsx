import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { logChannels, logLevels, type LogChannel, type LogLevel } from '../../../../src/logs/log-fields.js';
import type { ShownEntry } from './log-store.js';
import { callEntryData, ModelCallDetails } from './ModelCallDetails.js';
import { useLogFeed } from './use-log-feed.js';

const channelLabels: Record<LogChannel, string> = { server: 'Server', ollama_http: 'Model traffic', runs: 'Runs' };
const tabKey = 'wfhub.logs.tab';

function savedTab(): LogChannel {
  const saved = localStorage.getItem(tabKey);
  // The model traffic tab was `model` before it told every HTTP call to the model server.
  const value = saved === 'model' ? 'ollama_http' : saved;
  return logChannels.includes(value as LogChannel) ? (value as LogChannel) : 'server';
}

const clock = (at: string) => new Date(at).toLocaleTimeString(undefined, { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });

function LogLine({ entry }: { entry: ShownEntry }) {
  // A model call's request and answer are read when its entry is first opened, not before.
  const [opened, setOpened] = useState(false);
  const call = entry.channel === 'ollama_http' ? callEntryData(entry.data) : undefined;
  const head = (
    <>
      <time dateTime={entry.at}>{clock(entry.at)}</time> <span className={`level level-${entry.level}`}>{entry.level}</span> <span className="message">{entry.text}</span>
    </>
  );
  return (
    <li className={`log-${entry.level}`}>
      {call ? (
        <details onToggle={(event) => event.currentTarget.open && setOpened(true)}>
          <summary>{head}</summary>
          {opened && <ModelCallDetails data={call} />}
        </details>
      ) : entry.data ? (
        <details>
          <summary>{head}</summary>
          <pre>{JSON.stringify(entry.data, null, 2)}</pre>
        </details>
      ) : (
        head
      )}
    </li>
  );
}

/**
 * The server's log, the agent's traffic with the model server, and what runs do, in tabs over one
 * socket. The list follows new entries while it is scrolled to its end, and stays put when the
 * user scrolls up to read.
 */
export function LogsPanel({ onClose, takeFocus }: { onClose: () => void; takeFocus: boolean }) {
  const { store, version, connection, redraw } = useLogFeed();
  const [tab, setTab] = useState(savedTab);
  const [minimum, setMinimum] = useState<LogLevel>('debug');
  const [filter, setFilter] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const following = useRef(true);
  const tabs = useRef<Partial<Record<LogChannel, HTMLButtonElement | null>>>({});
  // Opened by the user, the panel takes focus on its tab (not when it is open from the last visit).
  useEffect(() => {
    if (takeFocus) tabs.current[savedTab()]?.focus();
  }, [takeFocus]);

  const choose = (channel: LogChannel, focus = false) => {
    setTab(channel);
    localStorage.setItem(tabKey, channel);
    following.current = true;
    if (focus) tabs.current[channel]?.focus();
  };
  // Arrow keys move between the tabs, as tabs do.
  const onTabKey = (event: KeyboardEvent) => {
    const index = logChannels.indexOf(tab);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: logChannels.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    choose(logChannels[(next + logChannels.length) % logChannels.length]!, true);
  };

  const entries = store.channels.get(tab) ?? [];
  const text = filter.trim().toLowerCase();
  const shown = useMemo(
    () => entries.filter((entry) => logLevels.indexOf(entry.level) >= logLevels.indexOf(minimum) && (!text || entry.text.toLowerCase().includes(text))),
    // `version` says the store changed.
    [entries, version, minimum, text],
  );

  useLayoutEffect(() => {
    if (following.current && list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [shown, tab]);

  return (
    <section
      id="logs"
      className="logs"
      aria-label="Logs"
      // Esc closes the panel from inside it; elsewhere it is the task editor's.
      onKeyDown={(event) => {
        if (event.key !== 'Escape' || event.defaultPrevented) return;
        event.preventDefault();
        onClose();
      }}
    >
      <div className="logs-head">
        <div role="tablist" aria-label="Log channels" onKeyDown={onTabKey}>
          {logChannels.map((channel) => (
            <button
              key={channel}
              ref={(element) => {
                tabs.current[channel] = element;
              }}
              type="button"
              role="tab"
              id={`logs-tab-${channel}`}
              aria-controls="logs-entries"
              aria-selected={channel === tab}
              tabIndex={channel === tab ? 0 : -1}
              onClick={() => choose(channel)}
            >
              {channelLabels[channel]} <span className="count">{store.channels.get(channel)?.length ?? 0}</span>
            </button>
          ))}
        </div>
        <input type="search" aria-label="Filter the log" placeholder="Filter" value={filter} onChange={(event) => setFilter(event.target.value)} />
        <select aria-label="Lowest level shown" value={minimum} onChange={(event) => setMinimum(event.target.value as LogLevel)}>
          {logLevels.map((level) => (
            <option key={level} value={level}>
              {level === 'debug' ? 'All levels' : `${level} and above`}
            </option>
          ))}
        </select>
        <span className={`live ${connection === 'live' ? 'live-on' : 'live-off'}`} role="status" aria-label="Log feed">
          {connection === 'live' ? 'Live' : connection === 'polling' ? 'Polling (socket lost)' : 'Connecting…'}
        </span>
        <button
          type="button"
          onClick={() => {
            store.clear(tab);
            redraw();
          }}
        >
          Clear
        </button>
        <button type="button" className="icon close" aria-label="Close the logs" onClick={onClose}>
          ×
        </button>
      </div>
      <ol
        ref={list}
        id="logs-entries"
        className="log-entries"
        role="tabpanel"
        aria-labelledby={`logs-tab-${tab}`}
        tabIndex={0}
        onScroll={(event) => {
          const element = event.currentTarget;
          following.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
        }}
      >
        {shown.map((entry) => (
          <LogLine key={entry.seq} entry={entry} />
        ))}
        {shown.length === 0 && <li className="muted">{entries.length === 0 ? 'Nothing logged here yet.' : 'No entry matches the filter.'}</li>}
      </ol>
    </section>
  );
}
