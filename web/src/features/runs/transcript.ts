import type { RunEvent } from '../../../../src/runs/run.schema.js';
import type { GateResult } from '../../shared/pipeline.js';

/** One thing a run did, as the run view shows it. */
export type TranscriptItem =
  | { kind: 'text'; step: number; reasoning: boolean; text: string }
  | { kind: 'tool'; step: number; callId: string; name: string; arguments: unknown; result?: { ok: boolean; output: string; code?: string; durationMs: number } }
  | { kind: 'note'; step: number; level: 'warning' | 'retry' | 'error'; message: string }
  | { kind: 'gate'; step: number; gate: GateResult };

/** Whether two results are of the same gate (a run's stored gates against those its events told). */
export const sameGate = (a: GateResult, b: GateResult) => a.gate === b.gate && a.name === b.name && a.criterion_id === b.criterion_id;

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

  /** The gates the events have told of so far. */
  get gates(): GateResult[] {
    return this.items.flatMap((item) => (item.kind === 'gate' ? [item.gate] : []));
  }

  /** Applies an event; false for one already seen (a reconnect's overlap). */
  apply(event: RunEvent): boolean {
    if (event.seq <= this.lastSeq) return false;
    this.lastSeq = event.seq;
    const data = event.data as Record<string, unknown>;
    const step = typeof data.step === 'number' ? data.step : 0;
    if (step > this.steps) this.steps = step;
    switch (event.type) {
      case 'gate.result':
        this.items.push({ kind: 'gate', step, gate: gateOf(data) });
        break;
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

/** A gate.result event's data (the gate's result with the event's own fields beside it) as the result. */
function gateOf(data: Record<string, unknown>): GateResult {
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    gate: (typeof data.gate === 'string' ? data.gate : 'acceptance_check') as GateResult['gate'],
    name: String(data.name ?? ''),
    passed: data.passed === true,
    skipped: data.skipped === true,
    criterion_id: number(data.criterion_id),
    check: typeof data.check === 'string' ? data.check : null,
    exit_code: number(data.exit_code),
    http_status: number(data.http_status),
    timed_out: data.timed_out === true,
    duration_ms: number(data.duration_ms) ?? 0,
    output_tail: String(data.output_tail ?? ''),
  };
}
