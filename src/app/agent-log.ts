import type { ObservedRun } from '../agent/agent-service.js';
import type { AgentEvent } from '../agent/loop/agent-events.js';
import type { LogFeed } from '../logs/log-feed.js';

/** A duration as people read it: 840 ms, 12.3 s. */
function took(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The tool calls of task runs, told to the Logs panel's runs channel as they happen. (Each call to
 * the model server is told on the ollama_http channel by the model-call log.) Names, outcomes and
 * times only: what the tools read and wrote is in the run's transcript.
 */
export function agentLog(feed: LogFeed): (run: ObservedRun) => ((event: AgentEvent) => void) | undefined {
  return (run) => {
    if (run.about.run_id === undefined) return undefined;
    return (event) => {
      if (event.type !== 'tool.result') return;
      feed.append('runs', event.ok ? 'info' : 'warn', `run ${run.about.run_id}: ${event.name} ${event.ok ? 'done' : `failed${event.code ? ` (${event.code})` : ''}`} in ${took(event.duration_ms)}`, {
        ...run.about,
        step: event.step,
        tool: event.name,
        ok: event.ok,
        duration_ms: event.duration_ms,
        ...(event.code && { code: event.code }),
        ...(event.files_changed?.length && { files_changed: event.files_changed }),
      });
    };
  };
}
