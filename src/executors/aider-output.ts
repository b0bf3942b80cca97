import type { ExecutorEvent, OutputReader } from './executor.js';

/** Lines Aider prints about itself before and around the model's reply. */
const banner = [
  /^Aider v\d/,
  /^(Main|Weak|Editor) model:/,
  /^Model:/,
  /^Git repo:/,
  /^Repo-map:/,
  /^Added .+ to the chat/,
  /^Use \/help/,
  /^https:\/\/aider\.chat\//,
  /^Cost: /,
  /^─+$/,
];

/** "1.2k" → 1200, "3M" → 3000000. */
function amount(figure: string, unit: string | undefined): number {
  const scale = unit === 'k' ? 1_000 : unit === 'M' ? 1_000_000 : 1;
  return Math.round(Number(figure) * scale);
}

/**
 * Reads Aider's plain output (`--no-pretty --no-stream`): its banner, the model's reply, one
 * "Applied edit to <file>" line per file it changed, a "Tokens: 1.2k sent, 345 received." line after
 * each model call, and errors from the model server (litellm's). Each Tokens line closes a step.
 */
export function aiderOutputReader(): OutputReader {
  let step = 1;
  let reply = '';
  let lastReply = '';
  let toolCalls = 0;
  let prompt = 0;
  let completion = 0;
  let model: string | undefined;
  let error: string | undefined;
  let calls = 0;

  return {
    line(line) {
      const events: ExecutorEvent[] = [];
      const main = /^Main model: (\S+)/.exec(line);
      if (main) model = main[1];
      if (banner.some((pattern) => pattern.test(line))) return events;
      const tokens = /^Tokens: ([\d.]+)([kM])? sent(?:, [\d.]+[kM]? cache \w+)*, ([\d.]+)([kM])? received/.exec(line);
      if (tokens) {
        const sent = amount(tokens[1]!, tokens[2]);
        const received = amount(tokens[3]!, tokens[4]);
        prompt += sent;
        completion += received;
        calls += 1;
        error = undefined;
        if (reply.trim()) lastReply = reply.trim();
        events.push({ type: 'llm.response', step, text: reply, tool_calls: 0, finish_reason: 'stop', prompt_tokens: sent, completion_tokens: received, duration_ms: 0 });
        reply = '';
        step += 1;
        return events;
      }
      const applied = /^Applied edit to (.+)$/.exec(line);
      if (applied) {
        const file = applied[1]!.trim();
        toolCalls += 1;
        const callId = `edit-${toolCalls}`;
        events.push({ type: 'tool.called', step: Math.max(1, step - 1), call_id: callId, name: 'edit', arguments: { path: file }, recovered: false });
        events.push({ type: 'tool.result', step: Math.max(1, step - 1), call_id: callId, name: 'edit', ok: true, output: line, files_changed: [file], duration_ms: 0 });
        return events;
      }
      if (/^litellm\.\w+|^(\w+\.)*\w*(Error|Exception):/.test(line)) {
        error = line.trim();
        events.push({ type: 'run.warning', step, code: 'executor_error', message: error });
        return events;
      }
      if (/did not conform to the edit format|Failed to apply edit/i.test(line)) {
        events.push({ type: 'run.warning', step, code: 'edit_failed', message: line.trim() });
        return events;
      }
      if (!reply && !line.trim()) return events;
      reply += `${line}\n`;
      events.push({ type: 'llm.delta', step, kind: 'text', text: `${line}\n` });
      return events;
    },
    end() {
      if (reply.trim()) lastReply = reply.trim();
      // Aider exits 0 after a model error in --message mode: an error with no model call after it is a failure.
      const ok = !error && calls > 0;
      return {
        summary: lastReply,
        prompt_tokens: prompt,
        completion_tokens: completion,
        steps: calls,
        tool_calls: toolCalls,
        ...(model ? { model } : {}),
        ok,
        ...(error !== undefined && { error }),
      };
    },
  };
}
