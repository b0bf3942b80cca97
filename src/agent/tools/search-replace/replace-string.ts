import { countLines, dominantEnding, isBlank, leadingWhitespace } from './lines.js';

/** How `old_string` was found. */
export type StringStrategy =
  | 'exact'
  /** Whole lines equal once each is trimmed. */
  | 'line-trimmed'
  /** Whole lines equal once their common indentation is removed from both sides. */
  | 'indentation-flexible'
  /** Equal once every run of whitespace is treated as one space. */
  | 'whitespace-normalised';

export type StringReplaceOutcome =
  | {
      readonly ok: true;
      readonly content: string;
      readonly strategy: StringStrategy;
      /** Places replaced (more than one only with `replaceAll`). */
      readonly occurrences: number;
      readonly removedLines: number;
      readonly addedLines: number;
    }
  | { readonly ok: false; readonly reason: 'no_match' }
  | { readonly ok: false; readonly reason: 'multiple_matches'; readonly count: number };

const toLf = (text: string) => text.replace(/\r\n/g, '\n');

interface Range {
  readonly start: number;
  readonly end: number;
  /** Adapts `new_string` to how the place was found (re-indented, outer whitespace dropped). */
  readonly adapt?: (replacement: string) => string;
}

type Reindent = { readonly add: string } | { readonly remove: string };

/**
 * Replaces `oldString` with `newString` in `content`, the way opencode's edit tool does. The exact
 * text must occur once (or `replaceAll`); when it does not occur at all, tolerant matchers are
 * tried in order (line-trimmed, indentation-flexible, whitespace-normalised) and one is used only
 * when it finds exactly one place, so nothing ambiguous is ever replaced. Line endings of the
 * model's strings are converted to the file's, and when a line-based matcher found the lines at
 * another uniform indentation, `newString` is re-indented by the same amount.
 */
export function replaceString(content: string, oldString: string, newString: string, replaceAll = false): StringReplaceOutcome {
  const ending = dominantEnding(content);
  const toFileEndings = (text: string) => toLf(text).replace(/\n/g, ending);
  const search = toFileEndings(oldString);
  const replacement = toLf(newString);

  const exact = countOccurrences(content, search);
  if (exact > 0) {
    if (replaceAll) {
      const occurrences = content.split(search).length - 1;
      return {
        ok: true,
        content: content.split(search).join(toFileEndings(replacement)),
        strategy: 'exact',
        occurrences,
        removedLines: countLines(oldString) * occurrences,
        addedLines: countLines(newString) * occurrences,
      };
    }
    if (exact > 1) return { ok: false, reason: 'multiple_matches', count: exact };
    const start = content.indexOf(search);
    return finish(content, { start, end: start + search.length }, replacement, 'exact', toFileEndings);
  }

  const matchers: Array<[StringStrategy, (text: string, wanted: string) => Range[]]> = [
    ['line-trimmed', (text, wanted) => lineMatches(text, wanted, trimmedEqual)],
    ['indentation-flexible', (text, wanted) => lineMatches(text, wanted, outdentedEqual)],
    ['whitespace-normalised', whitespaceMatches],
  ];
  for (const [strategy, match] of matchers) {
    const ranges = match(content, oldString);
    if (ranges.length === 1 && ranges[0]) return finish(content, ranges[0], replacement, strategy, toFileEndings);
  }
  return { ok: false, reason: 'no_match' };
}

function finish(content: string, range: Range, replacement: string, strategy: StringStrategy, toFileEndings: (text: string) => string): StringReplaceOutcome {
  const matched = content.slice(range.start, range.end);
  const text = toFileEndings(range.adapt ? range.adapt(replacement) : replacement);
  return {
    ok: true,
    content: content.slice(0, range.start) + text + content.slice(range.end),
    strategy,
    occurrences: 1,
    removedLines: countLines(matched),
    addedLines: countLines(text),
  };
}

/** Occurrences of `needle` in `text`, overlapping ones included (`aa` is twice in `aaa`). */
export function countOccurrences(text: string, needle: string): number {
  if (needle === '') return 0;
  let count = 0;
  for (let index = text.indexOf(needle); index >= 0; index = text.indexOf(needle, index + 1)) count++;
  return count;
}

interface LineSpan {
  readonly text: string;
  readonly start: number;
  /** End of the text, before the line ending. */
  readonly end: number;
  /** End of the line ending. */
  readonly next: number;
}

function lineSpans(content: string): LineSpan[] {
  const spans: LineSpan[] = [];
  let start = 0;
  while (start < content.length) {
    const newline = content.indexOf('\n', start);
    const next = newline < 0 ? content.length : newline + 1;
    const end = newline < 0 ? content.length : newline > start && content[newline - 1] === '\r' ? newline - 1 : newline;
    spans.push({ text: content.slice(start, end), start, end, next });
    start = next;
  }
  return spans;
}

type LinesEqual = (actual: readonly string[], wanted: readonly string[]) => boolean;

const trimmedEqual: LinesEqual = (actual, wanted) => actual.every((line, index) => line.trim() === wanted[index]?.trim());

const outdentedEqual: LinesEqual = (actual, wanted) => {
  const a = outdent(actual);
  const w = outdent(wanted);
  return a.every((line, index) => line.trimEnd() === w[index]?.trimEnd());
};

function outdent(lines: readonly string[]): string[] {
  const indents = lines.filter((line) => !isBlank(line)).map((line) => leadingWhitespace(line).length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((line) => (isBlank(line) ? '' : line.slice(common)));
}

/** Windows of whole lines equal to `wanted`'s lines under `equal`. */
function lineMatches(content: string, wanted: string, equal: LinesEqual): Range[] {
  const wantedLines = toLf(wanted).split('\n');
  const includesEnding = wantedLines.length > 1 && wantedLines[wantedLines.length - 1] === '';
  if (includesEnding) wantedLines.pop();
  if (wantedLines.every(isBlank)) return [];
  const spans = lineSpans(content);
  const ranges: Range[] = [];
  for (let start = 0; start + wantedLines.length <= spans.length; start++) {
    const window = spans.slice(start, start + wantedLines.length);
    if (!equal(window.map((span) => span.text), wantedLines)) continue;
    const first = window[0] as LineSpan;
    const last = window[window.length - 1] as LineSpan;
    const change = indentationChange(window.map((span) => span.text), wantedLines);
    ranges.push({
      start: first.start,
      end: includesEnding ? last.next : last.end,
      ...(change && { adapt: (replacement: string) => reindent(replacement, change) }),
    });
  }
  return ranges;
}

/** The one whitespace prefix added to (or removed from) every non-blank wanted line, if there is one. */
function indentationChange(actual: readonly string[], wanted: readonly string[]): Reindent | undefined {
  let change: Reindent | undefined;
  for (let index = 0; index < wanted.length; index++) {
    const w = wanted[index] ?? '';
    const a = actual[index] ?? '';
    if (isBlank(w) || isBlank(a)) continue;
    const wantedIndent = leadingWhitespace(w);
    const actualIndent = leadingWhitespace(a);
    let next: Reindent;
    if (actualIndent.endsWith(wantedIndent)) next = { add: actualIndent.slice(0, actualIndent.length - wantedIndent.length) };
    else if (wantedIndent.endsWith(actualIndent)) next = { remove: wantedIndent.slice(0, wantedIndent.length - actualIndent.length) };
    else return undefined;
    if (change === undefined) change = next;
    else if (JSON.stringify(change) !== JSON.stringify(next)) return undefined;
  }
  if (change === undefined || ('add' in change ? change.add : change.remove) === '') return undefined;
  return change;
}

/** Re-indents the non-blank lines of an LF text. */
function reindent(text: string, change: Reindent): string {
  const lines = text.split('\n');
  if ('remove' in change && !lines.every((line) => isBlank(line) || line.startsWith(change.remove))) return text;
  return lines
    .map((line) => {
      if (isBlank(line)) return line;
      return 'add' in change ? change.add + line : line.slice(change.remove.length);
    })
    .join('\n');
}

/** Places equal to `wanted` when every run of whitespace counts as one (leading and trailing ignored). */
function whitespaceMatches(content: string, wanted: string): Range[] {
  const words = wanted.trim().split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) return [];
  // The match leaves out old_string's outer whitespace, so new_string loses the same whitespace
  // (a final newline, say) rather than doubling it.
  const leading = /^\s*/.exec(toLf(wanted))?.[0] ?? '';
  const trailing = /\s*$/.exec(toLf(wanted))?.[0] ?? '';
  const adapt = (replacement: string) => {
    let text = replacement;
    if (leading !== '' && text.startsWith(leading)) text = text.slice(leading.length);
    if (trailing !== '' && text.endsWith(trailing)) text = text.slice(0, text.length - trailing.length);
    return text;
  };
  const pattern = new RegExp(words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'), 'g');
  const ranges: Range[] = [];
  for (const match of content.matchAll(pattern)) {
    ranges.push({ start: match.index, end: match.index + match[0].length, adapt });
  }
  return ranges;
}
