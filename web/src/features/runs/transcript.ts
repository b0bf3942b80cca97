import type { RunEvent } from '../../../../src/runs/run.schema.js';

/** One thing a run did, as the run view shows it. */
export type TranscriptItem =
  | { kind: 'text'; step: number; reasoning: boolean; text: string }
  | { kind: 'tool'; step: number; callId: string; name: string; arguments: unknown; result?: { ok: boolean; output: string; code?: string; durationMs: number } }
  | { kind: 'note'; step: number; level: 'warning' | 'retry' | 'error'; message: string };

/**
 * A run's transcript built up event by event: streamed text joined into paragraphs, each tool
 * call paired with its result, the tokens summed. Events are applied once each, in order.
 */
export class Transcript {
  readonly items: TranscriptItem[] = [];
  lastSeq = 0;
  steps = 0;
  promptTokens = 0;
  completionTokens = 0;
  model: string | undefined;
  private readonly streamed = new Set<number>();
  private readonly calls = new Map<string, Extract<TranscriptItem, { kind: 'tool' }>>();

  /** Applies an event; false for one already seen (a reconnect's overlap). */
  apply(event: RunEvent): boolean {
    if (event.seq <= this.lastSeq) return false;
    this.lastSeq = event.seq;
    const data = event.data as Record<string, unknown>;
    const step = typeof data.step === 'number' ? data.step : 0;
    if (step > this.steps) this.steps = step;
    switch (event.type) {
      case 'run.started':
        this.model = String(data.model ?? '');
        break;
      case 'llm.delta': {
        const reasoning = data.kind === 'reasoning';
        this.streamed.add(step);
        const last = this.items.at(-1);
        if (last?.kind === 'text' && last.step === step && last.reasoning === reasoning) last.text += String(data.text ?? '');
        else this.items.push({ kind: 'text', step, reasoning, text: String(data.text ?? '') });
        break;
      }
      case 'llm.response':
        this.promptTokens += Number(data.prompt_tokens ?? 0);
        this.completionTokens += Number(data.completion_tokens ?? 0);
        // A model server that does not stream sends the whole text at the end.
        if (!this.streamed.has(step) && typeof data.text === 'string' && data.text.trim()) this.items.push({ kind: 'text', step, reasoning: false, text: data.text });
        break;
      case 'tool.called': {
        const item = { kind: 'tool' as const, step, callId: String(data.call_id), name: String(data.name), arguments: data.arguments };
        this.calls.set(item.callId, item);
        this.items.push(item);
        break;
      }
      case 'tool.result': {
        const call = this.calls.get(String(data.call_id));
        const result = { ok: data.ok === true, output: String(data.output ?? ''), ...(typeof data.code === 'string' && { code: data.code }), durationMs: Number(data.duration_ms ?? 0) };
        if (call) call.result = result;
        else this.items.push({ kind: 'tool', step, callId: String(data.call_id), name: String(data.name), arguments: undefined, result });
        break;
      }
      case 'run.warning':
        this.items.push({ kind: 'note', step, level: 'warning', message: String(data.message ?? '') });
        break;
      case 'llm.retry':
        this.items.push({ kind: 'note', step, level: 'retry', message: String(data.message ?? '') });
        break;
      case 'run.failed': {
        const result = data.result as { stop?: { message?: string } } | undefined;
        if (result?.stop?.message) this.items.push({ kind: 'note', step, level: 'error', message: result.stop.message });
        break;
      }
    }
    return true;
  }
}
