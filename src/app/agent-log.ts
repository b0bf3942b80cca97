import type { ObservedRun } from '../agent/agent-service.js';
import type { AgentEvent } from '../agent/loop/agent-events.js';
import type { LogFeed } from '../logs/log-feed.js';

/** A duration as people read it: 840 ms, 12.3 s. */
function took(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Who is asking the model, as the entries name it. */
function askedBy(about: ObservedRun['about']): string {
  if (about.run_id !== undefined) return `run ${about.run_id}`;
  if (about.conversation_id !== undefined) return `chat ${about.conversation_id}`;
  return 'agent';
}

/**
 * What the agent does, told to the Logs panel: each call to the model server on the model channel
 * (whoever runs the agent: a task's run, a chat, /api/agent/run), and the tool calls of task runs
 * on the runs channel. Counts, tokens and times only: prompts and replies are in the run's
 * transcript, and a key is never in an event to begin with.
 */
export function agentLog(feed: LogFeed): (run: ObservedRun) => (event: AgentEvent) => void {
  return (run) => {
    const who = askedBy(run.about);
    const base = { ...run.about, model: run.model, provider: run.provider };
    /** When the call in flight was made, to tell how long a failed one took. */
    let askedAt: number | undefined;
    let frame: { protocol: string; num_ctx: number } | undefined;
    let step: number | undefined;
    return (event) => {
      switch (event.type) {
        case 'run.started':
          frame = { protocol: event.protocol, num_ctx: event.num_ctx };
          return;
        case 'llm.request':
          askedAt = Date.now();
          step = event.step;
          feed.append('model', 'info', `${who}, step ${event.step}: asked ${run.model} (${event.messages} messages, about ${event.estimated_prompt_tokens} tokens)`, {
            ...base,
            ...frame,
            step: event.step,
            messages: event.messages,
            estimated_prompt_tokens: event.estimated_prompt_tokens,
            ...(event.collapsed_outputs > 0 && { collapsed_outputs: event.collapsed_outputs }),
            ...(event.dropped_messages > 0 && { dropped_messages: event.dropped_messages }),
          });
          return;
        case 'llm.response':
          askedAt = undefined;
          feed.append(
            'model',
            event.finish_reason === 'length' ? 'warn' : 'info',
            `${who}, step ${event.step}: ${run.model} answered in ${took(event.duration_ms)} (${event.prompt_tokens} + ${event.completion_tokens} tokens, ${event.finish_reason})`,
            {
              ...base,
              step: event.step,
              duration_ms: event.duration_ms,
              prompt_tokens: event.prompt_tokens,
              completion_tokens: event.completion_tokens,
              finish_reason: event.finish_reason,
              tool_calls: event.tool_calls,
            },
          );
          return;
        case 'llm.retry':
          feed.append('model', 'warn', `${who}, step ${event.step}: ${event.message}`, { ...base, step: event.step, retry: event.message });
          return;
        case 'run.failed': {
          // Only the model server's failures (llm_*) are model traffic; a cancelled call is the user's doing.
          const { stop } = event.result;
          if (!stop.code.startsWith('llm_') || stop.code === 'llm_cancelled') return;
          feed.append('model', 'error', `${who}${step === undefined ? '' : `, step ${step}`}: ${run.model} failed: ${stop.message}`, {
            ...base,
            ...(step !== undefined && { step }),
            ...(askedAt !== undefined && { duration_ms: Date.now() - askedAt }),
            error: { code: stop.code, message: stop.message },
          });
          return;
        }
        case 'tool.result':
          if (run.about.run_id === undefined) return;
          feed.append('runs', event.ok ? 'info' : 'warn', `run ${run.about.run_id}: ${event.name} ${event.ok ? 'done' : `failed${event.code ? ` (${event.code})` : ''}`} in ${took(event.duration_ms)}`, {
            ...run.about,
            step: event.step,
            tool: event.name,
            ok: event.ok,
            duration_ms: event.duration_ms,
            ...(event.code && { code: event.code }),
            ...(event.files_changed?.length && { files_changed: event.files_changed }),
          });
          return;
        default:
          return;
      }
    };
  };
}
