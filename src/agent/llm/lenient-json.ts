/**
 * JSON as small local models write it: where a value in running text ends, and parsing that
 * forgives the slips with only one reading. Used by the tool-call recovery; knows nothing of calls.
 */
import { skipWhitespace } from './text-search.js';

/** Where a value ends; `open` carries the brackets that would close it when no string is open. */
export type ScanResult = { status: 'closed'; end: number } | { status: 'open'; closers?: string } | { status: 'mismatch' };

const MISMATCH = -1;
const OPEN = -2;

/**
 * Finds where a JSON value ends (brackets balanced outside strings, `"` or `'`). Scanning from
 * a bracket also settles every bracket met outside a string on the way (a scan from there would
 * see the same characters in the same state), so each is remembered and candidates inside an
 * earlier one cost nothing: random text full of `{"` stays near-linear.
 */
export class JsonScanner {
  private readonly known = new Map<number, number>();

  constructor(private readonly text: string) {}

  /** Scans the value whose opening bracket is at `start`. */
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

/** A parsed value, or the error JSON.parse gave for the text as written. */
export type ParseResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * JSON.parse, then once more after repairing the slips small models make that have only one
 * reading: raw newlines and tabs inside strings, trailing commas, single-quoted strings, unquoted
 * keys, Python's True/False/None, invalid escapes such as `\d`. Anything else stays an error.
 */
export function parseLenientJson(source: string): ParseResult {
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

/** The repairs `parseLenientJson` makes, in one pass; other text is copied as it is. */
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

/**
 * A value read from running text and where it ends. `closedByRepair`: the text ended inside the
 * value and closing brackets were supplied. `complete`: the brackets balanced but the content
 * did not parse, so `end` is where the attempt ends.
 */
export type ReadValue =
  | { ok: true; value: unknown; end: number; closedByRepair: boolean }
  | { ok: false; error: string; end: number; complete: boolean };

/**
 * Reads the JSON value starting at `start`. A value left open at the end of the text is closed
 * when no string is open (a truncated `}` is a common slip; a truncated string is not guessed).
 * `text` is the scanner's text.
 */
export function readJsonValue(scanner: JsonScanner, text: string, start: number): ReadValue {
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

