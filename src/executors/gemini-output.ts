import type { ExecutorEvent, OutputReader } from './executor.js';
import { count, jsonLine, outputText, record, text } from './json-line.js';

/**
 * Reads Gemini CLI's `--output-format stream-json` output: JSON Lines of `init` (session, model),
 * `message` (user or assistant text, in chunks when `delta`), `tool_use`, `tool_result`, `error`
 * (warnings and errors) and a closing `result` with the status and the run's token counts. Gemini
 * does not mark model turns: a step is the assistant's text and calls up to the next tool results.
 */
export function geminiOutputReader(): OutputReader {
  let step = 0;
  let current = { text: '', toolCalls: 0, open: false };
  let afterResults = true;
  let lastText = '';
  const names = new Map<string, string>();
  let toolCalls = 0;
  let model: string | undefined;
  let final: { ok: boolean; error?: string; prompt: number; completion: number } | undefined;
  let lastError: string | undefined;

  const close = (): ExecutorEvent[] => {
    if (!current.open) return [];
    current.open = false;
    if (current.text.trim()) lastText = current.text.trim();
    return [{ type: 'llm.response', step, text: current.text, tool_calls: current.toolCalls, finish_reason: current.toolCalls ? 'tool-calls' : 'stop', prompt_tokens: 0, completion_tokens: 0, duration_ms: 0 }];
  };
  /** The assistant speaks again: a new step when tool results came in between. */
  const speak = (): ExecutorEvent[] => {
    if (!afterResults && current.open) return [];
    const events = close();
    step += 1;
    current = { text: '', toolCalls: 0, open: true };
    afterResults = false;
    return events;
  };

  return {
    line(line) {
      const event = jsonLine(line);
      if (!event) return [];
      const events: ExecutorEvent[] = [];
      switch (event.type) {
        case 'init':
          model = text(event.model) || model;
          break;
        case 'message':
          if (event.role !== 'assistant' || !text(event.content)) break;
          events.push(...speak());
          current.text += text(event.content);
          events.push({ type: 'llm.delta', step, kind: 'text', text: text(event.content) });
          break;
        case 'tool_use': {
          events.push(...speak());
          const callId = text(event.tool_id, `call-${toolCalls + 1}`);
          const name = text(event.tool_name, 'tool');
          names.set(callId, name);
          toolCalls += 1;
          current.toolCalls += 1;
          events.push({ type: 'tool.called', step, call_id: callId, name, arguments: event.parameters ?? {}, recovered: false });
          break;
        }
        case 'tool_result': {
          afterResults = true;
          const callId = text(event.tool_id);
          const ok = event.status === 'success';
          const error = record(event.error);
          events.push({ type: 'tool.result', step, call_id: callId, name: names.get(callId) ?? 'tool', ok, output: ok ? outputText(event.output) : text(error.message, outputText(event.output)), duration_ms: 0 });
          break;
        }
        case 'error':
          lastError = text(event.message, 'Gemini CLI reported an error.');
          events.push({ type: 'run.warning', step, code: text(event.severity) === 'warning' ? 'executor_warning' : 'executor_error', message: lastError });
          break;
        case 'result': {
          events.push(...close());
          const stats = record(event.stats);
          const ok = event.status === 'success';
          const error = record(event.error);
          final = {
            ok,
            ...(ok ? {} : { error: text(error.message, lastError ?? 'Gemini CLI ended with an error.') }),
            prompt: count(stats.input_tokens),
            completion: count(stats.output_tokens),
          };
          break;
        }
      }
      return events;
    },
    end() {
      close();
      return {
        summary: lastText,
        prompt_tokens: final?.prompt ?? 0,
        completion_tokens: final?.completion ?? 0,
        steps: step,
        tool_calls: toolCalls,
        ...(model ? { model } : {}),
        ok: final?.ok ?? false,
        ...((final?.error ?? (final ? undefined : lastError)) !== undefined && { error: final?.error ?? lastError }),
      };
    },
  };
}
