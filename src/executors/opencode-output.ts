import type { FinishReason } from '../agent/llm/llm-types.js';
import type { ExecutorEvent, OutputReader } from './executor.js';
import { count, jsonLine, outputText, record, text } from './json-line.js';

function finishReason(reason: string): FinishReason {
  if (reason === 'stop' || reason === 'end_turn') return 'stop';
  if (reason === 'tool-calls' || reason === 'tool_calls' || reason === 'tool_use') return 'tool-calls';
  if (reason === 'length' || reason === 'max_tokens') return 'length';
  return 'other';
}

/**
 * Reads OpenCode's `run --format json` output: JSON Lines of `step_start`, `text`, `reasoning`,
 * `tool_use` (a finished tool part: callID, tool, state with input, output or error), `step_finish`
 * (reason and tokens) and `error`. Each step_start opens a step.
 */
export function opencodeOutputReader(): OutputReader {
  let step = 0;
  let current = { text: '', toolCalls: 0 };
  let lastText = '';
  let toolCalls = 0;
  let promptTotal = 0;
  let completionTotal = 0;
  let error: string | undefined;
  let finished = false;

  return {
    line(line) {
      const event = jsonLine(line);
      if (!event) return [];
      const part = record(event.part);
      const events: ExecutorEvent[] = [];
      const open = () => {
        if (step === 0) step = 1;
      };
      switch (event.type) {
        case 'step_start':
          step += 1;
          current = { text: '', toolCalls: 0 };
          break;
        case 'text':
          open();
          if (text(part.text)) {
            current.text += text(part.text);
            events.push({ type: 'llm.delta', step, kind: 'text', text: text(part.text) });
          }
          break;
        case 'reasoning':
          open();
          if (text(part.text)) events.push({ type: 'llm.delta', step, kind: 'reasoning', text: text(part.text) });
          break;
        case 'tool_use': {
          open();
          const state = record(part.state);
          const callId = text(part.callID, text(part.id, `call-${toolCalls + 1}`));
          const name = text(part.tool, 'tool');
          toolCalls += 1;
          current.toolCalls += 1;
          events.push({ type: 'tool.called', step, call_id: callId, name, arguments: state.input ?? {}, recovered: false });
          if (state.status === 'completed' || state.status === 'error') {
            const ok = state.status === 'completed';
            events.push({ type: 'tool.result', step, call_id: callId, name, ok, output: ok ? outputText(state.output) : text(state.error, outputText(state.error)), duration_ms: 0 });
          }
          break;
        }
        case 'step_finish': {
          open();
          const tokens = record(part.tokens);
          const cache = record(tokens.cache);
          const prompt = count(tokens.input) + count(cache.read) + count(cache.write);
          const completion = count(tokens.output) + count(tokens.reasoning);
          promptTotal += prompt;
          completionTotal += completion;
          if (current.text.trim()) lastText = current.text.trim();
          finished = true;
          events.push({ type: 'llm.response', step, text: current.text, tool_calls: current.toolCalls, finish_reason: finishReason(text(part.reason)), prompt_tokens: prompt, completion_tokens: completion, duration_ms: 0 });
          break;
        }
        case 'error': {
          const problem = record(event.error);
          error = text(record(problem.data).message, text(problem.message, text(problem.name, 'OpenCode reported an error.')));
          events.push({ type: 'run.warning', step, code: 'executor_error', message: error });
          break;
        }
      }
      return events;
    },
    end() {
      if (current.text.trim()) lastText = current.text.trim();
      const ok = !error && finished;
      return {
        summary: lastText,
        prompt_tokens: promptTotal,
        completion_tokens: completionTotal,
        steps: step,
        tool_calls: toolCalls,
        ok,
        ...(error !== undefined && { error }),
      };
    },
  };
}
