import type { FinishReason } from '../agent/llm/llm-types.js';
import type { ExecutorEvent, OutputReader } from './executor.js';
import { count, jsonLine, outputText, record, text } from './json-line.js';

/** Claude's stop reasons in wfhub's words. */
function finishReason(reason: string): FinishReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'tool_use') return 'tool-calls';
  if (reason === 'max_tokens') return 'length';
  return 'other';
}

/** Tokens read, counted whole: the cached part is still prompt the model read. */
function promptTokens(usage: Record<string, unknown>): number {
  return count(usage.input_tokens) + count(usage.cache_read_input_tokens) + count(usage.cache_creation_input_tokens);
}

/**
 * Reads Claude Code's `--output-format stream-json --verbose` output: one JSON object a line,
 * `system` (init), `assistant` (a message's content blocks: text, thinking, tool_use, with usage),
 * `user` (tool_result blocks) and a closing `result` with the final answer and the whole run's usage.
 * One message may come as several lines sharing its id; it counts as one step.
 */
export function claudeOutputReader(): OutputReader {
  let step = 0;
  let model: string | undefined;
  let open: { id: string; text: string; toolCalls: number; reason: string; usage: Record<string, unknown> } | undefined;
  const names = new Map<string, string>();
  let toolCalls = 0;
  let promptTotal = 0;
  let completionTotal = 0;
  let lastText = '';
  let final: { summary: string; ok: boolean; error?: string; prompt?: number; completion?: number; steps?: number } | undefined;

  const close = (): ExecutorEvent[] => {
    if (!open) return [];
    const { text: said, toolCalls: calls, reason, usage } = open;
    open = undefined;
    promptTotal += promptTokens(usage);
    completionTotal += count(usage.output_tokens);
    if (said.trim()) lastText = said.trim();
    return [{ type: 'llm.response', step, text: said, tool_calls: calls, finish_reason: finishReason(reason || (calls ? 'tool_use' : 'end_turn')), prompt_tokens: promptTokens(usage), completion_tokens: count(usage.output_tokens), duration_ms: 0 }];
  };

  return {
    line(line) {
      const event = jsonLine(line);
      if (!event) return [];
      const events: ExecutorEvent[] = [];
      if (event.type === 'system' && event.subtype === 'init') {
        model = text(event.model) || model;
      } else if (event.type === 'assistant') {
        const message = record(event.message);
        const id = text(message.id, `message-${step + 1}`);
        if (open?.id !== id) {
          events.push(...close());
          step += 1;
          open = { id, text: '', toolCalls: 0, reason: '', usage: {} };
        }
        model = text(message.model) || model;
        if (message.usage) open!.usage = record(message.usage);
        if (message.stop_reason) open!.reason = text(message.stop_reason);
        for (const block of Array.isArray(message.content) ? message.content.map(record) : []) {
          if (block.type === 'text' && text(block.text)) {
            open!.text += text(block.text);
            events.push({ type: 'llm.delta', step, kind: 'text', text: text(block.text) });
          } else if (block.type === 'thinking' && text(block.thinking)) {
            events.push({ type: 'llm.delta', step, kind: 'reasoning', text: text(block.thinking) });
          } else if (block.type === 'tool_use') {
            const callId = text(block.id, `call-${toolCalls + 1}`);
            names.set(callId, text(block.name, 'tool'));
            open!.toolCalls += 1;
            toolCalls += 1;
            events.push({ type: 'tool.called', step, call_id: callId, name: text(block.name, 'tool'), arguments: block.input ?? {}, recovered: false });
          }
        }
      } else if (event.type === 'user') {
        events.push(...close());
        const message = record(event.message);
        for (const block of Array.isArray(message.content) ? message.content.map(record) : []) {
          if (block.type !== 'tool_result') continue;
          const callId = text(block.tool_use_id);
          events.push({ type: 'tool.result', step, call_id: callId, name: names.get(callId) ?? 'tool', ok: block.is_error !== true, output: outputText(block.content), duration_ms: 0 });
        }
      } else if (event.type === 'result') {
        events.push(...close());
        const usage = event.usage ? record(event.usage) : undefined;
        const failed = event.is_error === true || (typeof event.subtype === 'string' && event.subtype !== 'success');
        const summary = text(event.result) || lastText;
        final = {
          summary,
          ok: !failed,
          ...(failed ? { error: text(event.result) || `Claude Code ended with ${text(event.subtype, 'an error')}.` } : {}),
          ...(usage ? { prompt: promptTokens(usage), completion: count(usage.output_tokens) } : {}),
          ...(typeof event.num_turns === 'number' ? { steps: count(event.num_turns) } : {}),
        };
      }
      return events;
    },
    end() {
      close();
      return {
        summary: final?.summary ?? lastText,
        prompt_tokens: final?.prompt ?? promptTotal,
        completion_tokens: final?.completion ?? completionTotal,
        steps: Math.max(step, final?.steps ?? 0),
        tool_calls: toolCalls,
        ...(model ? { model } : {}),
        // No closing result line: the run was cut short, whatever the exit code says.
        ok: final?.ok ?? false,
        ...(final?.error && { error: final.error }),
      };
    },
  };
}
