/**
 * A model call's request and answer as a person reads them: a chat's messages one by one, a
 * streamed answer (Ollama's NDJSON, an OpenAI server's `data:` lines) as the text it adds up to
 * with its tool calls and final totals, any other JSON pretty-printed, anything else as it is.
 */

/** The mark the server puts where the middle of a large body was left out. */
const leftOut = /^… \(\d+ bytes left out\) …$/;

export interface ShownMessage {
  role: string;
  content: string;
  /** Tool calls, images and the like, as JSON. */
  extra?: string;
}

export type ShownRequest =
  | { kind: 'chat'; messages: ShownMessage[]; pretty: string }
  | { kind: 'json'; pretty: string }
  | { kind: 'text'; text: string };

export type ShownAnswer =
  | { kind: 'stream'; content: string; thinking: string; toolCalls: unknown[]; final?: string; lines: string[]; cut: boolean }
  | { kind: 'json'; content?: string; thinking?: string; toolCalls: unknown[]; pretty: string }
  | { kind: 'text'; text: string };

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A message's text: a string, or OpenAI's content parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : isRecord(part) && part.type ? `[${String(part.type)}]` : '')).join('\n');
  }
  return content === undefined || content === null ? '' : pretty(content);
}

export function readRequest(body: string): ShownRequest {
  const value = parse(body);
  if (value === undefined) return { kind: 'text', text: body };
  if (isRecord(value) && Array.isArray(value.messages)) {
    const messages = value.messages.filter(isRecord).map((message): ShownMessage => {
      const { role, content, ...rest } = message;
      if (Array.isArray(rest.images)) rest.images = `${rest.images.length} image(s)`;
      return { role: typeof role === 'string' ? role : '?', content: textOf(content), ...(Object.keys(rest).length > 0 && { extra: pretty(rest) }) };
    });
    return { kind: 'chat', messages, pretty: pretty(value) };
  }
  return { kind: 'json', pretty: pretty(value) };
}

/** What one streamed chunk adds: Ollama's `message` (or /api/generate's `response`), OpenAI's `delta`. */
function pieceOf(line: Record<string, unknown>): { content?: string; thinking?: string; toolCalls?: unknown[]; done: boolean } {
  if (isRecord(line.message)) {
    const { content, thinking, tool_calls } = line.message;
    return {
      ...(typeof content === 'string' && { content }),
      ...(typeof thinking === 'string' && { thinking }),
      ...(Array.isArray(tool_calls) && { toolCalls: tool_calls }),
      done: line.done === true,
    };
  }
  if (typeof line.response === 'string') return { content: line.response, done: line.done === true };
  if (Array.isArray(line.choices)) {
    const choice = line.choices[0];
    const delta = isRecord(choice) ? (isRecord(choice.delta) ? choice.delta : isRecord(choice.message) ? choice.message : undefined) : undefined;
    const finished = isRecord(choice) && choice.finish_reason !== null && choice.finish_reason !== undefined;
    return {
      ...(typeof delta?.content === 'string' && { content: delta.content }),
      ...(typeof delta?.reasoning_content === 'string' && { thinking: delta.reasoning_content }),
      ...(Array.isArray(delta?.tool_calls) && { toolCalls: delta.tool_calls }),
      done: finished || isRecord(line.usage),
    };
  }
  return { done: line.done === true || isRecord(line.usage) };
}

/** OpenAI streams a tool call in fragments (by `index`, the arguments a piece at a time): put together again. */
function addToolCall(calls: unknown[], call: unknown, fragments: boolean): void {
  const previous = fragments && isRecord(call) && typeof call.index === 'number' ? calls.find((other) => isRecord(other) && other.index === call.index) : undefined;
  if (!isRecord(previous) || !isRecord(call)) {
    calls.push(isRecord(call) && isRecord(call.function) ? { ...call, function: { ...call.function } } : call);
    return;
  }
  if (!isRecord(previous.function)) previous.function = {};
  const into = previous.function as Record<string, unknown>;
  const from = isRecord(call.function) ? call.function : {};
  if (typeof from.name === 'string' && !into.name) into.name = from.name;
  if (typeof from.arguments === 'string') into.arguments = `${typeof into.arguments === 'string' ? into.arguments : ''}${from.arguments}`;
}

export function readAnswer(body: string): ShownAnswer {
  const trimmed = body.trim();
  if (!trimmed) return { kind: 'text', text: '' };
  const whole = parse(trimmed);
  if (whole !== undefined) {
    if (!isRecord(whole)) return { kind: 'json', toolCalls: [], pretty: pretty(whole) };
    const piece = pieceOf(whole);
    return { kind: 'json', ...(piece.content && { content: piece.content }), ...(piece.thinking && { thinking: piece.thinking }), toolCalls: piece.toolCalls ?? [], pretty: pretty(whole) };
  }
  const lines = trimmed.split('\n').filter((line) => line.trim() !== '');
  let content = '';
  let thinking = '';
  const toolCalls: unknown[] = [];
  let final: string | undefined;
  let parsed = 0;
  let cut = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (leftOut.test(line)) {
      cut = true;
      content += content ? '\n…\n' : '';
      continue;
    }
    // An OpenAI-compatible server's server-sent events.
    if (line.startsWith('event:') || line.startsWith(':') || line === 'data: [DONE]') {
      parsed++;
      continue;
    }
    const value = parse(line.startsWith('data:') ? line.slice(5).trim() : line);
    if (!isRecord(value)) continue;
    parsed++;
    const piece = pieceOf(value);
    content += piece.content ?? '';
    thinking += piece.thinking ?? '';
    for (const call of piece.toolCalls ?? []) addToolCall(toolCalls, call, Array.isArray(value.choices));
    if (piece.done) final = pretty(value);
  }
  // Not a stream of JSON lines after all (an error page, say): as it is.
  if (parsed < Math.max(1, lines.length / 2)) return { kind: 'text', text: body };
  return { kind: 'stream', content, thinking, toolCalls, ...(final && { final }), lines, cut };
}
