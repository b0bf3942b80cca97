/**
 * `<function=NAME><parameter=KEY>raw value</parameter>...</function>` blocks: how qwen3-coder
 * writes calls, and the form of our text protocol (text-protocol.ts). Values are raw text, not
 * JSON; one is parsed only where the tool's schema gives the parameter a non-string type.
 */
import { parseLenientJson } from './lenient-json.js';
import type { ToolSpec } from './llm-types.js';
import { isRecord, resolveTool, type FoundCalls } from './recovered-call.js';
import { indexWithin, skipWhitespace, TextSearch } from './text-search.js';

/** The opening of a block, which the recovery searches for. */
export const FUNCTION_OPEN = '<function=';
const FUNCTION_CLOSE = '</function>';
const PARAMETER_OPEN = '<parameter=';
const PARAMETER_CLOSE = '</parameter>';

/**
 * Every block in a bounded region (the content of a `<tool_call>`), starting with the one at
 * `start`; text between blocks is ignored.
 */
export function parseFunctionTags(content: string, start: number, tools: readonly ToolSpec[]): FoundCalls {
  const all: FoundCalls = { calls: [], problems: [], attempted: true };
  const search = new TextSearch(content);
  for (let at = start; at !== -1 && at < content.length; at = search.next(FUNCTION_OPEN, at + 1)) {
    const parsed = parseFunctionTag(search, at, tools);
    if (parsed === undefined) continue;
    all.calls.push(...parsed.found.calls);
    all.problems.push(...parsed.found.problems);
    at = parsed.end - 1;
  }
  return all;
}

/**
 * Reads `<function=NAME><parameter=KEY>raw value</parameter>...</function>` at `at`. Values are
 * raw text; one newline is trimmed at each end. `undefined` when this is not a tag at all.
 */
export function parseFunctionTag(search: TextSearch, at: number, tools: readonly ToolSpec[]): { found: FoundCalls; end: number } | undefined {
  const text = search.text;
  const nameStart = at + FUNCTION_OPEN.length;
  const nameEnd = indexWithin(text, '>', nameStart, 200);
  if (nameEnd === -1) return undefined;
  const name = text.slice(nameStart, nameEnd).trim().replace(/^["']|["']$/g, '');
  if (name === '' || /\s/.test(name)) return undefined;
  const tool = resolveTool(name, tools);
  const raw = new Map<string, string>();
  let index = nameEnd + 1;
  let closed = false;
  let hasParameters = false;
  for (;;) {
    const next = skipWhitespace(text, index);
    if (text.startsWith(FUNCTION_CLOSE, next)) {
      index = next + FUNCTION_CLOSE.length;
      closed = true;
      break;
    }
    if (!text.startsWith(PARAMETER_OPEN, next)) break;
    const keyStart = next + PARAMETER_OPEN.length;
    const keyEnd = indexWithin(text, '>', keyStart, 200);
    if (keyEnd === -1) break;
    const key = text.slice(keyStart, keyEnd).trim().replace(/^["']|["']$/g, '');
    const value = findParameterEnd(search, keyEnd + 1);
    raw.set(key, trimOneNewline(text.slice(keyEnd + 1, value.end)));
    hasParameters = true;
    index = value.after;
  }
  if (tool === undefined) {
    // A tag named in prose ("use <function=NAME>") is not an attempt; one with a body is.
    if (!closed && !hasParameters) return undefined;
    return { found: { calls: [], problems: [`unknown tool "${name}"`], attempted: true }, end: index };
  }
  // fromEntries, not assignment: a parameter named __proto__ stays a plain property.
  const argumentsObject = Object.fromEntries([...raw].map(([key, value]) => [key, coerceParameter(tool, key, value)]));
  return { found: { calls: [{ name: tool.name, arguments: argumentsObject, form: 'function_tag' }], problems: [], attempted: true }, end: index };
}

/**
 * The `</parameter>` that ends a value is the first one followed by another parameter, the end
 * of the call or the end of the text, so a value may mention the tag itself. Without any, the
 * value runs to `</function>` or the end (a stop word may have eaten the closing tags).
 */
function findParameterEnd(search: TextSearch, from: number): { end: number; after: number } {
  const text = search.text;
  let first = -1;
  for (let index = search.next(PARAMETER_CLOSE, from); index !== -1; index = search.next(PARAMETER_CLOSE, index + 1)) {
    if (first === -1) first = index;
    const after = index + PARAMETER_CLOSE.length;
    const next = skipWhitespace(text, after);
    if (next >= text.length || text.startsWith(PARAMETER_OPEN, next) || text.startsWith('</function', next) || text.startsWith('</tool_call', next)) {
      return { end: index, after };
    }
  }
  if (first !== -1) return { end: first, after: first + PARAMETER_CLOSE.length };
  const functionClose = search.next(FUNCTION_CLOSE, from);
  const end = functionClose === -1 ? text.length : functionClose;
  return { end, after: end };
}

function trimOneNewline(value: string): string {
  let result = value;
  if (result.startsWith('\r\n')) result = result.slice(2);
  else if (result.startsWith('\n')) result = result.slice(1);
  if (result.endsWith('\r\n')) result = result.slice(0, -2);
  else if (result.endsWith('\n')) result = result.slice(0, -1);
  return result;
}

/** A raw value stays a string unless the tool's schema gives the parameter a non-string type. */
function coerceParameter(tool: ToolSpec, key: string, value: string): unknown {
  const properties = tool.parameters.properties;
  const schema = isRecord(properties) && Object.hasOwn(properties, key) ? properties[key] : undefined;
  const types = isRecord(schema) ? schemaTypes(schema) : [];
  if (types.length === 0 || types.includes('string')) return value;
  const parsed = parseLenientJson(value.trim());
  return parsed.ok ? parsed.value : value;
}

function schemaTypes(schema: Record<string, unknown>): string[] {
  const { type } = schema;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((item): item is string => typeof item === 'string');
  const members = [schema.anyOf, schema.oneOf].find(Array.isArray) as unknown[] | undefined;
  return members?.flatMap((member) => (isRecord(member) ? schemaTypes(member) : [])) ?? [];
}
