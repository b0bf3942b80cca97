/**
 * Tool calls that small local models write into the message text instead of the structured
 * `tool_calls` field (qwen2.5-coder: bare JSON; qwen3: `<tool_call>` after `<think>`;
 * mistral: `[TOOL_CALLS]`; qwen3-coder and our text protocol: `<function=...>` blocks; fenced
 * json). See research/agents.md, "Text tool protocols".
 *
 * Names are checked against the offered tools: JSON the model shows (a package.json, a fixture)
 * is not a call. One pass over the text with cached searches keeps the work near-linear, and
 * nothing here throws: a reply that cannot be read yields problems, not an exception.
 *
 * This file finds where calls are written and cuts them out of the text; reading them is left to
 * lenient-json.ts (JSON with small models' slips), function-tag.ts (`<function=...>` blocks) and
 * recovered-call.ts (which values and names are calls of the offered tools).
 */
import { FUNCTION_OPEN, parseFunctionTag, parseFunctionTags } from './function-tag.js';
import { JsonScanner, readJsonValue } from './lenient-json.js';
import type { ToolSpec } from './llm-types.js';
import { classify, type FoundCalls, type RecoveredCall, type RecoveredCallForm } from './recovered-call.js';
import { cachedSearch, isWhitespace, skipWhitespace, TextSearch } from './text-search.js';

export type { RecoveredCall, RecoveredCallForm } from './recovered-call.js';

/** What `recoverToolCalls` found in a reply. */
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

const TOOL_CALL_OPEN = '<tool_call>';
const TOOL_CALL_CLOSE = '</tool_call>';
const MISTRAL_MARKER = '[TOOL_CALLS]';
const FENCE = '```';
/** Fences whose content may hold a call; any other language is code the model shows, skipped. */
const CALL_FENCE_LANGUAGES = new Set(['', 'json', 'jsonc', 'json5', 'tool_call', 'tool_code', 'tool', 'tools', 'function', 'xml', 'text', 'txt', 'plaintext']);
const EXPLICIT_FENCE_LANGUAGES = new Set(['tool_call', 'tool_code', 'tool', 'tools', 'function']);

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
  private record(found: FoundCalls, start: number, end: number): number {
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

/** Calls inside a bounded region (`<tool_call>` content): JSON values or `<function=...>` blocks. */
function parseCallRegion(content: string, form: RecoveredCallForm, tools: readonly ToolSpec[]): FoundCalls {
  const start = skipWhitespace(content, 0);
  if (content.startsWith(FUNCTION_OPEN, start)) return parseFunctionTags(content, start, tools);
  const first = content[start];
  if (first !== '{' && first !== '[') return { calls: [], problems: [], attempted: false };
  return parseJsonSequence(content, form, tools, true);
}

/** One or more JSON values separated by whitespace; stray closing brackets between them are skipped. */
function parseJsonSequence(content: string, form: RecoveredCallForm, tools: readonly ToolSpec[], explicit: boolean): FoundCalls {
  const scanner = new JsonScanner(content);
  const all: FoundCalls = { calls: [], problems: [], attempted: true };
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

function describeAttempt(head: string): string {
  const name = /["']?name["']?\s*:\s*["']([^"'\n]{1,100})["']/.exec(head)?.[1];
  return name === undefined ? 'a tool call' : `the call of "${name}"`;
}

const CALL_HEAD = /^\[?\s*\{\s*["']?(?:name|type|function)["']?\s*:/;
const CALL_ARGUMENTS = /["']?(?:arguments|parameters)["']?\s*:/;

/** Broken JSON that still reads as a call attempt, worth a problem rather than silence. */
function looksLikeCallHead(head: string): boolean {
  return CALL_HEAD.test(head) && CALL_ARGUMENTS.test(head);
}
