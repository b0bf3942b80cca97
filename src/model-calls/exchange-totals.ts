import type { CapturedText } from '../core/http-exchange.js';

/** What a model call cost, read from its bodies. Unknown stays undefined: not every answer says. */
export interface ExchangeTotals {
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  /** The time spent generating the completion, when the server tells it (Ollama's eval_duration). */
  generationMs?: number;
}

type Json = Record<string, unknown>;

function objectOf(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined);

/** The model a request names: from its JSON, or (a body cut short) from its first "model" field. */
function requestedModel(request: CapturedText): string | undefined {
  const whole = request.tail === '' ? objectOf(request.head) : undefined;
  if (whole && typeof whole.model === 'string') return whole.model;
  if (whole && typeof whole.name === 'string') return whole.name;
  const match = /"model"\s*:\s*("(?:[^"\\]|\\.){1,200}")/.exec(request.head);
  if (!match) return undefined;
  try {
    return JSON.parse(match[1]!) as string;
  } catch {
    return undefined;
  }
}

/** The totals one JSON object of an answer carries: Ollama's counts, or an OpenAI-style usage. */
function totalsIn(object: Json): ExchangeTotals | undefined {
  const usage = object.usage !== null && typeof object.usage === 'object' ? (object.usage as Json) : undefined;
  if (usage && (usage.prompt_tokens !== undefined || usage.completion_tokens !== undefined)) {
    return { promptTokens: count(usage.prompt_tokens), completionTokens: count(usage.completion_tokens) };
  }
  if (object.prompt_eval_count !== undefined || object.eval_count !== undefined) {
    const evalNs = count(object.eval_duration);
    return {
      promptTokens: count(object.prompt_eval_count),
      completionTokens: count(object.eval_count),
      generationMs: evalNs === undefined ? undefined : evalNs / 1e6,
    };
  }
  return undefined;
}

/** The counts an answer names, found by their keys wherever they are in its text (the last of each). */
function countsNamedIn(text: string): ExchangeTotals | undefined {
  const last = (key: string) => {
    const found = [...text.matchAll(new RegExp(`"${key}"\\s*:\\s*(\\d+)`, 'g'))].at(-1);
    return found ? Number(found[1]) : undefined;
  };
  const usage = [...text.matchAll(/"usage"\s*:\s*(\{[^{}]*\})/g)].at(-1);
  if (usage) {
    const totals = totalsIn({ usage: objectOf(usage[1]!) });
    if (totals) return totals;
  }
  const promptTokens = last('prompt_eval_count');
  const completionTokens = last('eval_count');
  if (promptTokens === undefined && completionTokens === undefined) return undefined;
  const evalNs = last('eval_duration');
  return { promptTokens, completionTokens, generationMs: evalNs === undefined ? undefined : evalNs / 1e6 };
}

/** The JSON objects of an answer's end, last first: NDJSON lines, SSE `data:` frames, or one JSON body. */
function lastObjects(text: string): Json[] {
  const objects: Json[] = [];
  const lines = text.split('\n');
  for (let index = lines.length - 1; index >= 0 && objects.length < 8; index--) {
    let line = lines[index]!.trim();
    if (line.startsWith('data:')) line = line.slice(5).trim();
    if (!line.startsWith('{')) continue;
    const object = objectOf(line);
    if (object) objects.push(object);
  }
  if (objects.length === 0) {
    const whole = objectOf(text.trim());
    if (whole) objects.push(whole);
  }
  return objects;
}

/**
 * The model and the token counts of a call, from its captured bodies, whichever API it spoke:
 * Ollama's streamed NDJSON or single JSON (`prompt_eval_count`, `eval_count`, `eval_duration`),
 * or an OpenAI-compatible answer (`usage`, streamed as the last SSE frame or in the JSON body).
 */
export function exchangeTotals(request: CapturedText, response: CapturedText): ExchangeTotals {
  const model = requestedModel(request);
  // The totals come last: in the tail when the answer was longer than the head holds.
  const end = response.tail !== '' ? response.tail : response.head;
  let totals: ExchangeTotals | undefined;
  let answeredModel: string | undefined;
  for (const object of lastObjects(end)) {
    totals ??= totalsIn(object);
    if (answeredModel === undefined && typeof object.model === 'string') answeredModel = object.model;
    if (totals && answeredModel) break;
  }
  // An answer whose end is not a whole object within what was kept (a long non-streamed answer, a
  // last line carrying a long `context` or embeddings): its counts are still named in it.
  totals ??= countsNamedIn(end);
  return { model: model ?? answeredModel, ...totals };
}
