/**
 * Tool calls that small local models write into the message text instead of the structured
 * `tool_calls` field (qwen2.5-coder: bare JSON; qwen3: `<tool_call>` after `<think>`;
 * mistral: `[TOOL_CALLS]`; qwen3-coder and our text protocol: `<function=...>` blocks; fenced
 * json). See research/agents.md, "Text tool protocols".
 *
 * Names are checked against the offered tools: JSON the model shows (a package.json, a fixture)
 * is not a call. One pass over the text with cached searches keeps the work near-linear, and
 * nothing here throws: a reply that cannot be read yields problems, not an exception.
 */
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

export interface ToolCallRecovery {
  readonly calls: RecoveredCall[];
  /** The text without thinking and without the recovered calls, trimmed: for the transcript. */
  readonly text: string;
  /** Attempted calls that could not be used (unknown tool, broken JSON), for the format error. */
  readonly problems: string[];
}

/**
 * Finds the tool calls written in a reply's text. Never throws.
 * @param tools the tools offered in the request; a call of any other name is reported, not returned.
 */
export function recoverToolCalls(text: string, tools: readonly ToolSpec[]): ToolCallRecovery {
  try {
    return new Recovery(stripThinking(text).text, tools).run();
  } catch (error) {
    // A last guard (e.g. a stack overflow on absurd nesting): the loop must always get an answer.
    return { calls: [], text: text.trim(), problems: [`the reply could not be read (${String(error)})`] };
  }
}

/**
 * Separates `<think>` blocks from the answer: closed blocks, an unclosed `<think>` (up to the
 * end) and a `</think>` without its opening tag (everything before it), since qwen3 templates
 * sometimes put the opening tag in the prompt.
 */
export function stripThinking(text: string): { text: string; reasoning: string } {
  const open = '<think>';
  const close = '</think>';
  const reasoning: string[] = [];
  const kept: string[] = [];
  let cursor = 0;
  const firstClose = text.indexOf(close);
  if (firstClose !== -1) {
    const firstOpen = text.indexOf(open);
    if (firstOpen === -1 || firstClose < firstOpen) {
      reasoning.push(text.slice(0, firstClose));
      cursor = firstClose + close.length;
    }
  }
  for (;;) {
    const start = text.indexOf(open, cursor);
    if (start === -1) {
      kept.push(text.slice(cursor));
      break;
    }
    kept.push(text.slice(cursor, start));
    const end = text.indexOf(close, start + open.length);
    if (end === -1) {
      reasoning.push(text.slice(start + open.length));
      break;
    }
    reasoning.push(text.slice(start + open.length, end));
    cursor = end + close.length;
  }
  return { text: kept.join(''), reasoning: reasoning.map((part) => part.trim()).filter(Boolean).join('\n\n') };
}

interface Found {
  readonly calls: RecoveredCall[];
  readonly problems: string[];
  /** Every value held a call or an attempted call (as opposed to data such as file content). */
  readonly attempted: boolean;
}

const TOOL_CALL_OPEN = '<tool_call>';
const TOOL_CALL_CLOSE = '</tool_call>';
const FUNCTION_OPEN = '<function=';
const FUNCTION_CLOSE = '</function>';
const PARAMETER_OPEN = '<parameter=';
const PARAMETER_CLOSE = '</parameter>';
const MISTRAL_MARKER = '[TOOL_CALLS]';
const FENCE = '```';
/** Fences whose content may hold a call; any other language is code the model shows, skipped. */
const CALL_FENCE_LANGUAGES = new Set(['', 'json', 'jsonc', 'json5', 'tool_call', 'tool_code', 'tool', 'tools', 'function', 'xml', 'text', 'txt', 'plaintext']);
const EXPLICIT_FENCE_LANGUAGES = new Set(['tool_call', 'tool_code', 'tool', 'tools', 'function']);
const CALL_KEYS = new Set(['name', 'arguments', 'parameters', 'id', 'type', 'index']);
const WRAPPER_KEYS = new Set(['type', 'function', 'id', 'index']);

type Trigger = 'tool_call' | 'function' | 'mistral' | 'fence' | 'json';

class Recovery {
  private readonly calls: RecoveredCall[] = [];
  private readonly problems: string[] = [];
  private readonly kept: string[] = [];
  private cursor = 0;
  /**
   * Broken call-like JSON, reported only if no good call turns up inside its span: prose such
   * as `{"name":"` can swallow a real call that follows it. Spans nest, so the outermost one
   * stands for those inside it.
   */
  private deferred: { problem: string; end: number } | undefined;
  /** The closing fence of a fence being scanned inside, so it is not taken for an opening one. */
  private insideFenceClose = -1;
  private readonly scanner: JsonScanner;
  private readonly search: TextSearch;
  private readonly finders: Record<Trigger, (from: number) => number>;

  constructor(
    private readonly text: string,
    private readonly tools: readonly ToolSpec[],
  ) {
    this.scanner = new JsonScanner(text);
    const search = (this.search = new TextSearch(text));
    this.finders = {
      tool_call: (from) => search.next(TOOL_CALL_OPEN, from),
      function: (from) => search.next(FUNCTION_OPEN, from),
      mistral: (from) => search.next(MISTRAL_MARKER, from),
      fence: cachedSearch((from) => findFence(text, from)),
      json: cachedSearch((from) => findJsonCandidate(text, from)),
    };
  }

  run(): ToolCallRecovery {
    let position = 0;
    while (position < this.text.length) {
      let trigger: Trigger | undefined;
      let at = Infinity;
      for (const name of Object.keys(this.finders) as Trigger[]) {
        const found = this.finders[name](position);
        if (found !== -1 && found < at) [trigger, at] = [name, found];
      }
      if (trigger === undefined) break;
      this.commitDeferred(at);
      position = Math.max(at + 1, this.handle(trigger, at));
    }
    this.commitDeferred(Infinity);
    this.kept.push(this.text.slice(this.cursor));
    const text =
      this.calls.length === 0
        ? this.text.trim()
        : this.kept
            .map((piece) => piece.trim())
            .filter(Boolean)
            .join('\n\n');
    return { calls: this.calls, text, problems: this.problems };
  }

  /** Handles the trigger at `at`; returns where scanning goes on. */
  private handle(trigger: Trigger, at: number): number {
    switch (trigger) {
      case 'tool_call':
        return this.toolCallTag(at);
      case 'function': {
        const parsed = parseFunctionTag(this.search, at, this.tools);
        if (parsed === undefined) return at + 1;
        return this.record(parsed.found, at, parsed.end);
      }
      case 'mistral':
        return this.mistral(at);
      case 'fence':
        return this.fence(at);
      case 'json':
        return this.bareJson(at);
    }
  }

  private commitDeferred(position: number): void {
    if (this.deferred !== undefined && this.deferred.end <= position) {
      this.problems.push(this.deferred.problem);
      this.deferred = undefined;
    }
  }

  /** Keeps the calls and problems; removes the span from the text when it held a call. */
  private record(found: Found, start: number, end: number): number {
    this.calls.push(...found.calls);
    this.problems.push(...found.problems);
    if (found.calls.length > 0) {
      this.deferred = undefined;
      this.kept.push(this.text.slice(this.cursor, start));
      this.cursor = end;
    }
    return end;
  }

  private toolCallTag(at: number): number {
    const contentStart = at + TOOL_CALL_OPEN.length;
    const close = this.search.next(TOOL_CALL_CLOSE, contentStart);
    const nextOpen = this.finders.tool_call(contentStart);
    // An unclosed tag ends at the next tag or at the end of the text.
    const closed = close !== -1 && (nextOpen === -1 || close < nextOpen);
    const contentEnd = closed ? close : nextOpen === -1 ? this.text.length : nextOpen;
    const content = this.text.slice(contentStart, contentEnd);
    const found = parseCallRegion(content, 'tool_call_tag', this.tools);
    if (!found.attempted && found.problems.length === 0) {
      found.problems.push(`the ${TOOL_CALL_OPEN} block does not hold a call of the form {"name": ..., "arguments": {...}}`);
    }
    return this.record(found, at, closed ? close + TOOL_CALL_CLOSE.length : contentEnd);
  }

  private mistral(at: number): number {
    const text = this.text;
    let index = skipWhitespace(text, at + MISTRAL_MARKER.length);
    const first = text[index];
    if (first === '[' || first === '{') {
      const value = readJsonValue(this.scanner, text, index);
      const found = value.ok
        ? classify(value.value, this.tools, 'mistral', true)
        : { calls: [], problems: [`the call after ${MISTRAL_MARKER} is not valid JSON (${value.error})`], attempted: true };
      if (!found.attempted) found.problems.push(`the JSON after ${MISTRAL_MARKER} is not a list of calls`);
      return this.record(found, at, value.end);
    }
    // The newer form: [TOOL_CALLS]name[ARGS]{...}, sometimes with [CALL_ID]id before [ARGS].
    const name = /[A-Za-z_][\w.-]{0,100}/y;
    name.lastIndex = index;
    const match = name.exec(text);
    if (match !== null) {
      index += match[0].length;
      const marker = /\s*(?:\[CALL_ID\][\w-]{0,100})?\s*(?:\[ARGS\])?\s*/y;
      marker.lastIndex = index;
      index += marker.exec(text)?.[0].length ?? 0;
      if (text[index] === '{') {
        const value = readJsonValue(this.scanner, text, index);
        const found = value.ok
          ? classify({ name: match[0], arguments: value.value }, this.tools, 'mistral', true)
          : { calls: [], problems: [`the arguments of "${match[0]}" are not valid JSON (${value.error})`], attempted: true };
        return this.record(found, at, value.end);
      }
    }
    this.problems.push(`the call after ${MISTRAL_MARKER} could not be read`);
    return at + MISTRAL_MARKER.length;
  }

  private fence(at: number): number {
    const text = this.text;
    if (at === this.insideFenceClose) return at + FENCE.length;
    const lineEnd = text.indexOf('\n', at);
    if (lineEnd === -1) return text.length;
    const language = text.slice(at + FENCE.length, lineEnd).trim().split(/\s/)[0]?.toLowerCase() ?? '';
    const close = this.finders.fence(lineEnd + 1);
    const contentEnd = close === -1 ? text.length : close;
    const spanEnd = close === -1 ? text.length : close + FENCE.length;
    if (!CALL_FENCE_LANGUAGES.has(language)) return spanEnd;
    const content = text.slice(lineEnd + 1, contentEnd).trim();
    if (content.startsWith('{') || content.startsWith('[')) {
      const found = parseJsonSequence(content, 'fenced_json', this.tools, EXPLICIT_FENCE_LANGUAGES.has(language));
      if (found.attempted) return this.record(found, at, spanEnd);
    }
    // A fence holding nothing but calls in another form (`<tool_call>` in an xml fence) goes
    // whole. Content has no fence of its own, so this recurses once at most.
    const inner = new Recovery(content, this.tools).run();
    if (inner.calls.length > 0 && inner.text === '') {
      const calls = inner.calls.map((call) => (call.form === 'json' ? { ...call, form: 'fenced_json' as const } : call));
      return this.record({ calls, problems: inner.problems, attempted: true }, at, spanEnd);
    }
    // Otherwise look inside (a call among prose or data) as if there were no fence.
    this.insideFenceClose = close;
    return lineEnd + 1;
  }

  private bareJson(at: number): number {
    const value = readJsonValue(this.scanner, this.text, at);
    if (!value.ok) {
      const head = this.text.slice(at, at + 2000);
      // A broken list may still hold good calls (prose after one of them): judge each alone.
      if (this.text[at] === '[' || !looksLikeCallHead(head)) return at + 1;
      const end = value.complete ? value.end : this.text.length;
      this.deferred ??= { problem: `${describeAttempt(head)} is not valid JSON (${value.error})`, end };
      return at + 1;
    }
    const found = classify(value.value, this.tools, 'json', false);
    // Brackets closed by the repair only say that this is unbalanced text, which may hold a
    // call further on; complete data such as file content holds none.
    if (value.closedByRepair && found.calls.length === 0) {
      this.problems.push(...found.problems);
      return at + 1;
    }
    if (!found.attempted) return value.end;
    if (found.calls.length === 0) return this.record(found, at, value.end);
    // Also remove a wrapper tag qwen2.5-coder sometimes invents: <tools>{...}</tool, <function>{...}</function>.
    const before = /<[A-Za-z][\w|-]{0,30}>\s*$/.exec(this.text.slice(Math.max(this.cursor, at - 40), at));
    const after = /\s*<\/[A-Za-z][\w|-]{0,30}(?:>|$)/y;
    after.lastIndex = value.end;
    const trailing = after.exec(this.text)?.[0].length ?? 0;
    return this.record(found, at - (before?.[0].length ?? 0), value.end + trailing);
  }
}

/**
 * indexOf whose answers are reused while the position has not passed them: searching again
 * from every tag of a text full of unclosed tags would be quadratic.
 */
class TextSearch {
  private readonly searches = new Map<string, (from: number) => number>();

  constructor(readonly text: string) {}

  next(needle: string, from: number): number {
    let search = this.searches.get(needle);
    if (search === undefined) {
      search = cachedSearch((start) => this.text.indexOf(needle, start));
      this.searches.set(needle, search);
    }
    return search(from);
  }
}

/** indexOf limited to `within` characters. */
function indexWithin(text: string, char: string, from: number, within: number): number {
  const end = Math.min(text.length, from + within);
  for (let index = from; index < end; index++) if (text[index] === char) return index;
  return -1;
}

/** A search whose answer is reused while the position has not passed it. */
function cachedSearch(search: (from: number) => number): (from: number) => number {
  let cachedFrom = -1;
  let cached = -1;
  return (from) => {
    if (cachedFrom !== -1 && cachedFrom <= from && (cached === -1 || cached >= from)) return cached;
    cachedFrom = from;
    cached = search(from);
    return cached;
  };
}

/** A ``` at the start of a line (up to three spaces of indent). */
function findFence(text: string, from: number): number {
  for (let index = text.indexOf(FENCE, from); index !== -1; index = text.indexOf(FENCE, index + 1)) {
    let lineStart = index;
    while (lineStart > 0 && index - lineStart < 4 && text[lineStart - 1] === ' ') lineStart--;
    if (lineStart === 0 || text[lineStart - 1] === '\n') return index;
  }
  return -1;
}

/** `{` followed by a quoted key, or `[` followed by `{`: where a JSON call can start. */
function findJsonCandidate(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    const char = text[index];
    if (char !== '{' && char !== '[') continue;
    let next = index + 1;
    while (next < text.length && next - index < 200 && isWhitespace(text[next])) next++;
    const following = text[next];
    if (char === '{' ? following === '"' || following === "'" : following === '{') return index;
  }
  return -1;
}

type ReadValue =
  | { ok: true; value: unknown; end: number; closedByRepair: boolean }
  | { ok: false; error: string; end: number; complete: boolean };

/**
 * Reads the JSON value starting at `start`. A value left open at the end of the text is closed
 * when no string is open (a truncated `}` is a common slip; a truncated string is not guessed).
 */
function readJsonValue(scanner: JsonScanner, text: string, start: number): ReadValue {
  const scan = scanner.scan(start);
  if (scan.status === 'closed') {
    const parsed = parseLenientJson(text.slice(start, scan.end));
    return parsed.ok ? { ok: true, value: parsed.value, end: scan.end, closedByRepair: false } : { ...parsed, end: scan.end, complete: true };
  }
  if (scan.status === 'open' && scan.closers !== undefined) {
    const parsed = parseLenientJson(text.slice(start) + scan.closers);
    return parsed.ok ? { ok: true, value: parsed.value, end: text.length, closedByRepair: true } : { ...parsed, end: text.length, complete: false };
  }
  return { ok: false, error: scan.status === 'open' ? 'it ends inside a string' : 'its brackets do not match', end: start + 1, complete: false };
}

/** Calls inside a bounded region (`<tool_call>` content): JSON values or `<function=...>` blocks. */
function parseCallRegion(content: string, form: RecoveredCallForm, tools: readonly ToolSpec[]): Found {
  const start = skipWhitespace(content, 0);
  if (content.startsWith(FUNCTION_OPEN, start)) {
    const all: Found = { calls: [], problems: [], attempted: true };
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
  const first = content[start];
  if (first !== '{' && first !== '[') return { calls: [], problems: [], attempted: false };
  return parseJsonSequence(content, form, tools, true);
}

/** One or more JSON values separated by whitespace; stray closing brackets between them are skipped. */
function parseJsonSequence(content: string, form: RecoveredCallForm, tools: readonly ToolSpec[], explicit: boolean): Found {
  const scanner = new JsonScanner(content);
  const all: Found = { calls: [], problems: [], attempted: true };
  let index = skipWhitespace(content, 0);
  while (index < content.length) {
    const value = readJsonValue(scanner, content, index);
    if (!value.ok) {
      const head = content.slice(index, index + 2000);
      if (!explicit && !looksLikeCallHead(head)) return { calls: [], problems: [], attempted: false };
      all.problems.push(`${describeAttempt(head)} is not valid JSON (${value.error})`);
      return all;
    }
    const found = classify(value.value, tools, form, explicit);
    if (!found.attempted) return { calls: [], problems: [], attempted: false };
    all.calls.push(...found.calls);
    all.problems.push(...found.problems);
    index = value.end;
    while (index < content.length && (isWhitespace(content[index]) || content[index] === '}' || content[index] === ']' || content[index] === ',')) index++;
    if (index < content.length && content[index] !== '{' && content[index] !== '[') break;
  }
  return all;
}

/**
 * Decides whether a parsed value is a call (or calls). `explicit` is true inside a wrapper that
 * says "this is a call" (`<tool_call>`, `[TOOL_CALLS]`), where a bare `{"name": ...}` is enough;
 * elsewhere the object must also carry `arguments` or `parameters`, and nothing else.
 */
function classify(value: unknown, tools: readonly ToolSpec[], form: RecoveredCallForm, explicit: boolean): Found {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (isRecord(value) && Array.isArray(value.tool_calls) && Object.keys(value).every((key) => ['tool_calls', 'content', 'role'].includes(key))) {
    items = value.tool_calls;
    explicit = true;
  } else items = [value];
  const shaped = items.map((item) => callShape(item, explicit));
  if (items.length === 0 || shaped.some((shape) => shape === undefined)) return { calls: [], problems: [], attempted: false };
  const found: Found = { calls: [], problems: [], attempted: true };
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

function resolveTool(name: string, tools: readonly ToolSpec[]): ToolSpec | undefined {
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

/**
 * Reads `<function=NAME><parameter=KEY>raw value</parameter>...</function>` at `at`. Values are
 * raw text; one newline is trimmed at each end. `undefined` when this is not a tag at all.
 */
function parseFunctionTag(search: TextSearch, at: number, tools: readonly ToolSpec[]): { found: Found; end: number } | undefined {
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

function describeAttempt(head: string): string {
  const name = /["']?name["']?\s*:\s*["']([^"'\n]{1,100})["']/.exec(head)?.[1];
  return name === undefined ? 'a tool call' : `the call of "${name}"`;
}

function skipWhitespace(text: string, from: number): number {
  let index = from;
  while (index < text.length && isWhitespace(text[index])) index++;
  return index;
}

function isWhitespace(char: string | undefined): boolean {
  return char === ' ' || char === '\n' || char === '\t' || char === '\r';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// --- Lenient JSON -------------------------------------------------------------------------------

type ScanResult = { status: 'closed'; end: number } | { status: 'open'; closers?: string } | { status: 'mismatch' };

const MISMATCH = -1;
const OPEN = -2;

/**
 * Finds where a JSON value ends (brackets balanced outside strings, `"` or `'`). Scanning from
 * a bracket also settles every bracket met outside a string on the way (a scan from there would
 * see the same characters in the same state), so each is remembered and candidates inside an
 * earlier one cost nothing: random text full of `{"` stays near-linear.
 */
class JsonScanner {
  private readonly known = new Map<number, number>();

  constructor(private readonly text: string) {}

  scan(start: number): ScanResult {
    const known = this.known.get(start);
    if (known === MISMATCH) return { status: 'mismatch' };
    if (known === OPEN) return { status: 'open' };
    if (known !== undefined) return { status: 'closed', end: known };
    const text = this.text;
    const stack: number[] = [];
    let quote = 0;
    for (let index = start; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (quote !== 0) {
        if (code === 0x5c) index++;
        else if (code === quote) quote = 0;
        continue;
      }
      if (code === 0x22 || code === 0x27) quote = code;
      else if (code === 0x7b || code === 0x5b) stack.push(index);
      else if (code === 0x7d || code === 0x5d) {
        const open = stack.pop();
        if (open === undefined) return { status: 'mismatch' };
        if (text.charCodeAt(open) !== code - 2) {
          for (const position of [...stack, open]) this.known.set(position, MISMATCH);
          return { status: 'mismatch' };
        }
        this.known.set(open, index + 1);
        if (stack.length === 0) return { status: 'closed', end: index + 1 };
      }
    }
    for (const position of stack) this.known.set(position, OPEN);
    if (quote !== 0) return { status: 'open' };
    const closers = stack.reverse().map((position) => (text[position] === '{' ? '}' : ']'));
    return { status: 'open', closers: closers.join('') };
  }
}

const CALL_HEAD = /^\[?\s*\{\s*["']?(?:name|type|function)["']?\s*:/;
const CALL_ARGUMENTS = /["']?(?:arguments|parameters)["']?\s*:/;

/** Broken JSON that still reads as a call attempt, worth a problem rather than silence. */
function looksLikeCallHead(head: string): boolean {
  return CALL_HEAD.test(head) && CALL_ARGUMENTS.test(head);
}

type ParseResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * JSON.parse, then once more after repairing the slips small models make that have only one
 * reading: raw newlines and tabs inside strings, trailing commas, single-quoted strings, unquoted
 * keys, Python's True/False/None, invalid escapes such as `\d`. Anything else stays an error.
 */
function parseLenientJson(source: string): ParseResult {
  let error: string;
  try {
    return { ok: true, value: JSON.parse(source) };
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
  }
  const repaired = repairJson(source);
  if (repaired !== source) {
    try {
      return { ok: true, value: JSON.parse(repaired) };
    } catch {
      // the first error describes what the model wrote
    }
  }
  return { ok: false, error: error.length > 120 ? `${error.slice(0, 120)}...` : error };
}

const PYTHON_LITERALS: Record<string, string> = { True: 'true', False: 'false', None: 'null' };
const VALID_ESCAPES = '"\\/bfnrt';

function repairJson(source: string): string {
  let out = '';
  let quote: string | undefined;
  for (let index = 0; index < source.length; index++) {
    const char = source[index] as string;
    if (quote !== undefined) {
      if (char === '\\') {
        const next = source[index + 1];
        index++;
        if (next === undefined) out += '\\\\';
        else if (next === "'") out += "'";
        else if (VALID_ESCAPES.includes(next) || (next === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(index + 1, index + 5)))) out += `\\${next}`;
        else out += `\\\\${escapeStringChar(next)}`;
      } else if (char === quote) {
        out += '"';
        quote = undefined;
      } else out += escapeStringChar(char);
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      out += '"';
    } else if (char === ',') {
      const next = skipWhitespace(source, index + 1);
      if (source[next] !== '}' && source[next] !== ']') out += char;
    } else if (isIdentifierStart(char)) {
      const word = /[A-Za-z_$][\w$]*/y;
      word.lastIndex = index;
      const identifier = (word.exec(source) as RegExpExecArray)[0];
      index += identifier.length - 1;
      if (source[skipWhitespace(source, index + 1)] === ':') out += JSON.stringify(identifier);
      else out += PYTHON_LITERALS[identifier] ?? identifier;
    } else out += char;
  }
  return out;
}

function isIdentifierStart(char: string): boolean {
  return (char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z') || char === '_' || char === '$';
}

function escapeStringChar(char: string): string {
  if (char === '"') return '\\"';
  const code = char.charCodeAt(0);
  if (code >= 0x20) return char;
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}
