/**
 * What counts as a call of an offered tool, whichever form it was written in: the shapes a
 * parsed JSON value may take, and the tool a written name stands for.
 */
import { parseLenientJson } from './lenient-json.js';
import type { ToolSpec } from './llm-types.js';

/**
 * How a call was written: bare JSON; JSON in `<tool_call>`; a `<function=...>` block (also one
 * inside `<tool_call>`, as qwen3-coder writes it); `[TOOL_CALLS]`; JSON in a code fence.
 */
export type RecoveredCallForm = 'json' | 'tool_call_tag' | 'function_tag' | 'mistral' | 'fenced_json';

/** A call found in the text, its name one of the offered tools. */
export interface RecoveredCall {
  readonly name: string;
  readonly arguments: Record<string, unknown>;
  readonly form: RecoveredCallForm;
}

/** What one span of the text yielded. */
export interface FoundCalls {
  readonly calls: RecoveredCall[];
  readonly problems: string[];
  /** Every value held a call or an attempted call (as opposed to data such as file content). */
  readonly attempted: boolean;
}

const CALL_KEYS = new Set(['name', 'arguments', 'parameters', 'id', 'type', 'index']);
const WRAPPER_KEYS = new Set(['type', 'function', 'id', 'index']);

/**
 * Decides whether a parsed value is a call (or calls). `explicit` is true inside a wrapper that
 * says "this is a call" (`<tool_call>`, `[TOOL_CALLS]`), where a bare `{"name": ...}` is enough;
 * elsewhere the object must also carry `arguments` or `parameters`, and nothing else.
 */
export function classify(value: unknown, tools: readonly ToolSpec[], form: RecoveredCallForm, explicit: boolean): FoundCalls {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (isRecord(value) && Array.isArray(value.tool_calls) && Object.keys(value).every((key) => ['tool_calls', 'content', 'role'].includes(key))) {
    items = value.tool_calls;
    explicit = true;
  } else items = [value];
  const shaped = items.map((item) => callShape(item, explicit));
  if (items.length === 0 || shaped.some((shape) => shape === undefined)) return { calls: [], problems: [], attempted: false };
  const found: FoundCalls = { calls: [], problems: [], attempted: true };
  for (const shape of shaped as { name: string; arguments: unknown }[]) {
    const tool = resolveTool(shape.name, tools);
    if (tool === undefined) {
      found.problems.push(`unknown tool "${shape.name}"`);
      continue;
    }
    const decoded = decodeArguments(shape.arguments);
    if (decoded === undefined) found.problems.push(`the arguments of "${tool.name}" must be a JSON object of parameters`);
    else found.calls.push({ name: tool.name, arguments: decoded, form });
  }
  return found;
}

function callShape(item: unknown, explicit: boolean): { name: string; arguments: unknown } | undefined {
  if (!isRecord(item)) return undefined;
  let call = item;
  // The OpenAI wire shape, {"type": "function", "function": {"name", "arguments"}}.
  if (isRecord(item.function) && Object.keys(item).every((key) => WRAPPER_KEYS.has(key))) {
    call = item.function;
    explicit = true;
  }
  if (typeof call.name !== 'string' || call.name.trim() === '') return undefined;
  if (!Object.keys(call).every((key) => CALL_KEYS.has(key))) return undefined;
  const hasArguments = 'arguments' in call || 'parameters' in call;
  if (!hasArguments && !explicit) return undefined;
  return { name: call.name.trim(), arguments: 'arguments' in call ? call.arguments : call.parameters };
}

/**
 * The offered tool a written name stands for: exactly, without a `functions.` or `function.`
 * prefix, or differing only in case where that matches a single tool.
 */
export function resolveTool(name: string, tools: readonly ToolSpec[]): ToolSpec | undefined {
  const bare = name.replace(/^functions?\./, '');
  const exact = tools.find((tool) => tool.name === name || tool.name === bare);
  if (exact !== undefined) return exact;
  const loose = tools.filter((tool) => tool.name.toLowerCase() === bare.toLowerCase());
  return loose.length === 1 ? loose[0] : undefined;
}

/** Arguments as an object; a JSON string holding one is decoded; absent means none. */
function decodeArguments(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return {};
  if (isRecord(value)) return value;
  if (typeof value !== 'string') return undefined;
  if (value.trim() === '') return {};
  const parsed = parseLenientJson(value);
  return parsed.ok && isRecord(parsed.value) ? parsed.value : undefined;
}

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
