import type { ExecutorEvent, OutputReader } from './executor.js';
import { count, jsonLine, outputText, record, text } from './json-line.js';

/** The tool call an item stands for: its name and arguments, or undefined for items that are not calls. */
function callOf(item: Record<string, unknown>): { name: string; arguments: unknown } | undefined {
  switch (item.type) {
    case 'command_execution':
      return { name: 'shell', arguments: { command: text(item.command) } };
    case 'file_change': {
      const changes = (Array.isArray(item.changes) ? item.changes : []).map(record);
      return { name: 'edit', arguments: { path: changes.map((change) => text(change.path)).join(', '), changes } };
    }
    case 'mcp_tool_call':
      return { name: `${text(item.server, 'mcp')}.${text(item.tool, 'tool')}`, arguments: item.arguments ?? {} };
    case 'web_search':
      return { name: 'web_search', arguments: { query: text(item.query) } };
    default:
      return undefined;
  }
}

/** What a finished call item said, and whether it went well. */
function resultOf(item: Record<string, unknown>): { ok: boolean; output: string; files_changed?: string[] } {
  const failed = item.status === 'failed' || item.status === 'declined';
  switch (item.type) {
    case 'command_execution': {
      const exit = typeof item.exit_code === 'number' ? item.exit_code : undefined;
      return { ok: !failed && (exit === undefined || exit === 0), output: text(item.aggregated_output) + (exit !== undefined && exit !== 0 ? `\n(exit code ${exit})` : '') };
    }
    case 'file_change': {
      const changes = (Array.isArray(item.changes) ? item.changes : []).map(record);
      const paths = changes.map((change) => text(change.path)).filter(Boolean);
      return { ok: !failed, output: changes.map((change) => `${text(change.kind, 'update')} ${text(change.path)}`).join('\n'), files_changed: paths };
    }
    case 'mcp_tool_call': {
      const error = record(item.error);
      return { ok: !failed && !item.error, output: item.error ? text(error.message, outputText(item.error)) : outputText(record(item.result).content ?? item.result) };
    }
    default:
      return { ok: !failed, output: '' };
  }
}

/**
 * Reads Codex CLI's `exec --json` output: JSON Lines of thread and turn events (`thread.started`,
 * `turn.started`, `turn.completed` with usage, `turn.failed`, `error`) and items as they start and
 * complete (`agent_message`, `reasoning`, `command_execution`, `file_change`, `mcp_tool_call`,
 * `web_search`, `error`). Each turn is a step.
 */
export function codexOutputReader(): OutputReader {
  let step = 0;
  let turn = { text: '', toolCalls: 0 };
  const called = new Set<string>();
  let toolCalls = 0;
  let promptTotal = 0;
  let completionTotal = 0;
  let lastMessage = '';
  let failure: string | undefined;
  let lastError: string | undefined;
  let completed = false;

  const startStep = () => {
    step += 1;
    turn = { text: '', toolCalls: 0 };
  };

  return {
    line(line) {
      const event = jsonLine(line);
      if (!event) return [];
      const events: ExecutorEvent[] = [];
      const type = text(event.type);
      if (type === 'turn.started') startStep();
      else if (type === 'turn.completed') {
        const usage = record(event.usage);
        promptTotal += count(usage.input_tokens);
        completionTotal += count(usage.output_tokens);
        completed = true;
        events.push({ type: 'llm.response', step, text: turn.text, tool_calls: turn.toolCalls, finish_reason: 'stop', prompt_tokens: count(usage.input_tokens), completion_tokens: count(usage.output_tokens), duration_ms: 0 });
      } else if (type === 'turn.failed') {
        failure = text(record(event.error).message, 'the turn failed');
      } else if (type === 'error') {
        lastError = text(event.message, 'an error');
        events.push({ type: 'run.warning', step, code: 'executor_error', message: lastError });
      } else if (type.startsWith('item.')) {
        if (step === 0) startStep();
        const item = record(event.item);
        const id = text(item.id, `item-${toolCalls + 1}`);
        const call = callOf(item);
        if (call && !called.has(id)) {
          called.add(id);
          toolCalls += 1;
          turn.toolCalls += 1;
          events.push({ type: 'tool.called', step, call_id: id, name: call.name, arguments: call.arguments, recovered: false });
        }
        if (type !== 'item.completed') return events;
        if (call) {
          const result = resultOf(item);
          events.push({ type: 'tool.result', step, call_id: id, name: call.name, ok: result.ok, output: result.output, ...(result.files_changed ? { files_changed: result.files_changed } : {}), duration_ms: 0 });
        } else if (item.type === 'agent_message' && text(item.text)) {
          turn.text += (turn.text ? '\n\n' : '') + text(item.text);
          lastMessage = text(item.text);
          events.push({ type: 'llm.delta', step, kind: 'text', text: text(item.text) });
        } else if (item.type === 'reasoning' && text(item.text)) {
          events.push({ type: 'llm.delta', step, kind: 'reasoning', text: text(item.text) });
        } else if (item.type === 'error') {
          events.push({ type: 'run.warning', step, code: 'executor_error', message: text(item.message, 'an error') });
        }
      }
      return events;
    },
    end() {
      const ok = !failure && completed;
      return {
        summary: lastMessage,
        prompt_tokens: promptTotal,
        completion_tokens: completionTotal,
        steps: step,
        tool_calls: toolCalls,
        ok,
        ...(!ok && (failure ?? lastError) !== undefined && { error: failure ?? lastError }),
      };
    },
  };
}
