import { dominantEnding, isBlank, joinLines, leadingWhitespace, splitLines, textToLines, type TextLines } from './lines.js';

/** How a SEARCH section was found. */
export type BlockStrategy =
  /** The SEARCH lines, as written, at their first occurrence. */
  | 'exact'
  /** The same lines with a uniformly different leading indent; the replacement was re-indented. */
  | 'indentation'
  /** The SEARCH lines once a spurious leading blank line was dropped. */
  | 'leading-blank-line'
  /** Each part between `...` lines found exactly once. */
  | 'elision'
  /** An empty SEARCH on a missing file. */
  | 'create'
  /** An empty SEARCH on an existing file. */
  | 'append';

export type BlockOutcome =
  | { readonly ok: true; readonly content: string; readonly strategy: BlockStrategy; readonly removedLines: number; readonly addedLines: number }
  | {
      readonly ok: false;
      /** `missing_file`: a non-empty SEARCH on a file that does not exist. */
      readonly reason: 'missing_file' | 'no_match';
      /** Why an elided (`...`) block could not be applied, when that was tried. */
      readonly detail?: string;
    };

/**
 * Applies one SEARCH/REPLACE block to a file's content (`undefined` when the file does not exist),
 * following Aider's cascade: exact lines (first occurrence only) -> the same lines with a uniform
 * indentation difference -> without a spurious leading blank line -> `...` elision, each part
 * unique -> no match. Nothing fuzzy is ever replaced silently.
 *
 * An empty SEARCH creates the file, or appends the REPLACE lines to an existing one. Lines are
 * compared without their endings; replaced lines take the file's dominant ending, so CRLF files
 * stay CRLF, and a file without a final newline keeps it that way.
 */
export function applyBlock(content: string | undefined, search: string, replace: string): BlockOutcome {
  const searchLines = textToLines(search);
  const replaceLines = textToLines(replace);

  if (searchLines.every(isBlank)) {
    if (content === undefined) {
      return { ok: true, content: replaceLines.map((line) => `${line}\n`).join(''), strategy: 'create', removedLines: 0, addedLines: replaceLines.length };
    }
    const ending = dominantEnding(content);
    const separator = content === '' || content.endsWith('\n') ? '' : ending;
    const appended = replaceLines.map((line) => line + ending).join('');
    return { ok: true, content: content + separator + appended, strategy: 'append', removedLines: 0, addedLines: replaceLines.length };
  }
  if (content === undefined) return { ok: false, reason: 'missing_file' };

  const file = splitLines(content);
  const ending = dominantEnding(content);
  const done = (strategy: BlockStrategy, removedLines: number, addedLines: number): BlockOutcome => ({
    ok: true,
    content: joinLines(file),
    strategy,
    removedLines,
    addedLines,
  });

  const direct = replaceLinesIn(file, searchLines, replaceLines, ending);
  if (direct) return done(direct, searchLines.length, replaceLines.length);

  // Models sometimes start SEARCH with a blank line the file does not have (Aider issue #25); the
  // REPLACE then usually starts with the same blank line, which is dropped with it.
  if (searchLines.length > 2 && isBlank(searchLines[0] ?? '')) {
    const trimmedSearch = searchLines.slice(1);
    const trimmedReplace = replaceLines.length > 0 && isBlank(replaceLines[0] ?? '') ? replaceLines.slice(1) : replaceLines;
    if (replaceLinesIn(file, trimmedSearch, trimmedReplace, ending)) {
      return done('leading-blank-line', trimmedSearch.length, trimmedReplace.length);
    }
  }

  const elided = applyElided(file, searchLines, replaceLines, ending);
  if (elided === undefined) return { ok: false, reason: 'no_match' };
  if (typeof elided === 'string') return { ok: false, reason: 'no_match', detail: elided };
  return done('elision', elided.removed, elided.added);
}

/** Exact, then indentation-tolerant replacement of the first occurrence; changes `file` in place. */
function replaceLinesIn(file: TextLines, searchLines: readonly string[], replaceLines: readonly string[], ending: string): 'exact' | 'indentation' | undefined {
  const index = findLines(file.lines, searchLines);
  if (index >= 0) {
    spliceLines(file, index, searchLines.length, replaceLines, ending);
    return 'exact';
  }
  const indented = findWithOtherIndentation(file.lines, searchLines, replaceLines);
  if (indented) {
    spliceLines(file, indented.index, searchLines.length, indented.replaceLines, ending);
    return 'indentation';
  }
  return undefined;
}

/** Index of the first occurrence of `needle` as consecutive lines of `lines`, at or after `from`; -1 if none. */
export function findLines(lines: readonly string[], needle: readonly string[], from = 0): number {
  if (needle.length === 0) return -1;
  outer: for (let start = from; start + needle.length <= lines.length; start++) {
    for (let offset = 0; offset < needle.length; offset++) {
      if (lines[start + offset] !== needle[offset]) continue outer;
    }
    return start;
  }
  return -1;
}

function countLineOccurrences(lines: readonly string[], needle: readonly string[]): number {
  let count = 0;
  for (let index = findLines(lines, needle); index >= 0; index = findLines(lines, needle, index + 1)) count++;
  return count;
}

/**
 * Replaces `count` lines at `index` with `replacement`. New lines take `ending`, except the last,
 * which keeps the ending of the last replaced line (none at the end of a file without a final newline).
 */
function spliceLines(file: TextLines, index: number, count: number, replacement: readonly string[], ending: string): void {
  const lastEnding = file.endings[index + count - 1] ?? ending;
  const endings = replacement.map((_, position) => (position === replacement.length - 1 ? lastEnding : ending));
  file.lines.splice(index, count, ...replacement);
  file.endings.splice(index, count, ...endings);
  if (replacement.length === 0 && lastEnding === '' && index > 0 && index === file.lines.length) {
    file.endings[index - 1] = '';
  }
}

/**
 * Aider's `replace_part_with_missing_leading_whitespace`: models often get the indentation wrong,
 * but uniformly across SEARCH and REPLACE. Both are outdented by their common indent, then a
 * window is accepted when every non-blank line is the SEARCH line behind one same whitespace
 * prefix (blank lines must be blank in both); the REPLACE lines get that prefix.
 */
function findWithOtherIndentation(lines: readonly string[], searchLines: readonly string[], replaceLines: readonly string[]): { index: number; replaceLines: string[] } | undefined {
  const indents = [...searchLines, ...replaceLines].filter((line) => !isBlank(line)).map((line) => leadingWhitespace(line).length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  const outdent = (line: string) => (isBlank(line) ? line : line.slice(common));
  const search = searchLines.map(outdent);
  const replace = replaceLines.map(outdent);

  for (let start = 0; start + search.length <= lines.length; start++) {
    const prefix = sharedPrefix(lines.slice(start, start + search.length), search);
    if (prefix === undefined) continue;
    return { index: start, replaceLines: replace.map((line) => (isBlank(line) ? line : prefix + line)) };
  }
  return undefined;
}

function sharedPrefix(window: readonly string[], search: readonly string[]): string | undefined {
  let prefix: string | undefined;
  for (let index = 0; index < search.length; index++) {
    const actual = window[index] ?? '';
    const wanted = search[index] ?? '';
    if (isBlank(wanted) || isBlank(actual)) {
      if (isBlank(wanted) && isBlank(actual)) continue;
      return undefined;
    }
    if (!actual.endsWith(wanted)) return undefined;
    const added = actual.slice(0, actual.length - wanted.length);
    if (added.trim() !== '') return undefined;
    if (prefix === undefined) prefix = added;
    else if (prefix !== added) return undefined;
  }
  return prefix;
}

const isElisionLine = (line: string) => line.trim() === '...';

function splitOnElisions(lines: readonly string[]): string[][] {
  const pieces: string[][] = [[]];
  for (const line of lines) {
    if (isElisionLine(line)) pieces.push([]);
    else pieces[pieces.length - 1]?.push(line);
  }
  return pieces;
}

/**
 * Aider's `try_dotdotdots`: SEARCH and REPLACE elide unchanged code with `...` lines. Each SEARCH
 * part must appear exactly once and is replaced by the REPLACE part in the same position; an
 * empty SEARCH part with a REPLACE part appends it. Returns undefined when the block has no `...`,
 * a reason when it cannot be applied, and changes `file` only when every part applies.
 */
function applyElided(file: TextLines, searchLines: readonly string[], replaceLines: readonly string[], ending: string): { removed: number; added: number } | string | undefined {
  const searchPieces = splitOnElisions(searchLines);
  if (searchPieces.length === 1) return undefined;
  const replacePieces = splitOnElisions(replaceLines);
  if (searchPieces.length !== replacePieces.length) {
    return `SEARCH has ${searchPieces.length - 1} \`...\` line(s) and REPLACE has ${replacePieces.length - 1}; they must pair up, each REPLACE part taking the place of the SEARCH part in the same position.`;
  }

  const work: TextLines = { lines: [...file.lines], endings: [...file.endings] };
  let removed = 0;
  let added = 0;
  for (let index = 0; index < searchPieces.length; index++) {
    const search = searchPieces[index] ?? [];
    const replace = replacePieces[index] ?? [];
    if (search.length === 0) {
      if (replace.length === 0) continue;
      const last = work.endings.length - 1;
      if (last >= 0 && work.endings[last] === '') work.endings[last] = ending;
      work.lines.push(...replace);
      work.endings.push(...replace.map(() => ending));
      added += replace.length;
      continue;
    }
    const count = countLineOccurrences(work.lines, search);
    if (count !== 1) {
      const where = count === 0 ? 'is not in the file' : `matches ${count} places; it must match exactly one`;
      return `The part of SEARCH between \`...\` lines that starts with "${search[0]?.trim()}" ${where}.`;
    }
    spliceLines(work, findLines(work.lines, search), search.length, replace, ending);
    removed += search.length;
    added += replace.length;
  }
  file.lines.splice(0, file.lines.length, ...work.lines);
  file.endings.splice(0, file.endings.length, ...work.endings);
  return { removed, added };
}
