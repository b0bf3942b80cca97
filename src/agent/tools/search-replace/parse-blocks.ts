import { closestMatch } from './similarity.js';

/** One SEARCH/REPLACE block: the file it names and its two sections (whole lines, `\n` endings). */
export interface EditBlock {
  readonly path: string;
  /** Empty to create the file, or append to it when it exists. */
  readonly search: string;
  readonly replace: string;
}

export interface ParseBlocksOptions {
  /** Workspace-relative paths (forward slashes) of existing files, to recover misspelt names. */
  readonly knownFiles: readonly string[];
  /**
   * Whether a workspace-relative path is an existing file, for files the listing left out (it is
   * bounded and skips folders such as `node_modules`). Defaults to membership in `knownFiles`.
   */
  readonly isFile?: (path: string) => boolean;
  /** The file of leading blocks that name none (the edit tool's `path`, when given with blocks). */
  readonly defaultPath?: string;
}

/** The text is not well-formed SEARCH/REPLACE; the message says what is expected. */
export class BlockParseError extends Error {
  override readonly name = 'BlockParseError';
}

export const searchMarker = /^<{5,9} SEARCH>?\s*$/;
export const dividerMarker = /^={5,9}\s*$/;
export const replaceMarker = /^>{5,9} REPLACE\s*$/;

const isMarker = (line: string) => searchMarker.test(line.trim()) || dividerMarker.test(line.trim()) || replaceMarker.test(line.trim());
const isFence = (line: string) => line.trimStart().startsWith('```');

/** What a block looks like, for error messages. */
export const blockFormat = [
  'Each block is: the file path alone on a line, then `<<<<<<< SEARCH`, the exact lines to find,',
  '`=======`, the new lines, and `>>>>>>> REPLACE`, for example:',
  'src/app.ts',
  '<<<<<<< SEARCH',
  'const port = 80;',
  '=======',
  'const port = 8080;',
  '>>>>>>> REPLACE',
].join('\n');

/**
 * Parses Aider's SEARCH/REPLACE format. Markers are matched on the trimmed line. A block's file
 * name is looked for in the three lines before `<<<<<<< SEARCH` (stopping at the first line that is
 * neither a fence nor blank), so the name may come before or after the opening fence; a block
 * with no name reuses the previous block's (or `defaultPath`). Throws a BlockParseError for a malformed block or a
 * first block with no name.
 */
export function parseBlocks(text: string, options: ParseBlocksOptions): EditBlock[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const blocks: EditBlock[] = [];
  let previousPath = options.defaultPath;

  for (let index = 0; index < lines.length; index++) {
    if (!searchMarker.test((lines[index] ?? '').trim())) continue;
    const number = blocks.length + 1;
    const candidates = filenameCandidates(lines.slice(Math.max(0, index - 3), index));
    const written = candidates.find((candidate) => !/\s/.test(candidate)) ?? candidates[0];
    const label = written ?? previousPath;

    const search: string[] = [];
    let cursor = index + 1;
    for (; cursor < lines.length; cursor++) {
      const line = lines[cursor] ?? '';
      if (dividerMarker.test(line.trim())) break;
      if (searchMarker.test(line.trim()) || replaceMarker.test(line.trim())) malformed(number, label, '=======', line);
      search.push(line);
    }
    if (cursor >= lines.length) malformed(number, label, '=======');

    const replace: string[] = [];
    for (cursor++; cursor < lines.length; cursor++) {
      const line = lines[cursor] ?? '';
      if (replaceMarker.test(line.trim())) break;
      if (searchMarker.test(line.trim())) malformed(number, label, '>>>>>>> REPLACE', line);
      replace.push(line);
    }
    if (cursor >= lines.length) malformed(number, label, '>>>>>>> REPLACE');

    const isNewFile = search.every((line) => line.trim() === '');
    const path = chooseFilename(candidates, isNewFile, options) ?? previousPath;
    if (path === undefined) {
      throw new BlockParseError(
        `Bad/missing filename in SEARCH/REPLACE block ${number}. The file path must be alone on the line just before \`<<<<<<< SEARCH\` (or before its opening fence \`\`\`).\n${blockFormat}`,
      );
    }
    previousPath = path;
    blocks.push({ path, search: joinSection(search), replace: joinSection(replace) });
    index = cursor;
  }
  return blocks;
}

function joinSection(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join('');
}

function malformed(number: number, path: string | undefined, expected: string, found?: string): never {
  const block = `SEARCH/REPLACE block ${number}${path ? ` (${path})` : ''}`;
  const section = expected === '=======' ? 'after the SEARCH lines' : 'after the REPLACE lines';
  const instead = found === undefined ? 'but the text ended first' : `but found \`${found.trim()}\` first`;
  throw new BlockParseError(`${block} is malformed: expected a line \`${expected}\` ${section}, ${instead}.\n${blockFormat}`);
}

/**
 * Aider's `find_filename`: names written on the lines before a block, nearest first. Looking back
 * goes on only through fences (and, unlike Aider, blank lines, which small models add).
 */
export function filenameCandidates(linesBefore: readonly string[]): string[] {
  const candidates: string[] = [];
  for (const line of [...linesBefore].reverse()) {
    if (isMarker(line)) break;
    if (line.trim() === '') continue;
    candidates.push(...stripFilename(line));
    if (!isFence(line)) break;
  }
  return candidates;
}

/**
 * Aider's `strip_filename`: drops `#`, `*`, backticks, a trailing `:`; `...` is no name; a fence
 * line names a file only when what follows it has a dot or a slash (```` ```src/app.py ````).
 * A line with spaces ("Change `src/app.py`:") also yields its last word, stripped the same way.
 */
export function stripFilename(line: string): string[] {
  const trimmed = line.trim();
  if (trimmed === '...') return [];
  if (trimmed.startsWith('```')) {
    const rest = trimmed.replace(/^`+/, '').trim();
    return rest !== '' && /[./]/.test(rest) && !/\s/.test(rest) ? [rest] : [];
  }
  const name = stripDecoration(trimmed);
  if (name === '' || name === '...') return [];
  if (!/\s/.test(name)) return [name];
  const lastWord = stripDecoration(name.split(/\s+/).pop() ?? '');
  return lastWord !== '' && lastWord !== '...' && /[./]/.test(lastWord) ? [name, lastWord] : [name];
}

function stripDecoration(text: string): string {
  let current = text;
  for (;;) {
    const next = current.replace(/:+$/, '').replace(/^#+/, '').trim().replace(/^`+|`+$/g, '').replace(/^\*+|\*+$/g, '').trim();
    if (next === current) return current;
    current = next;
  }
}

function normalise(candidate: string): string {
  return candidate.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/**
 * Picks the best of the written names: an existing file as written, then the one existing file
 * whose path ends with the name (Aider matches basenames; a suffix such as `tools/edit.ts` is
 * accepted too, and an ambiguous one is not), then an existing file with a close name
 * (ratio >= 0.8, and no other as close), then a name with a dot. Names with spaces only ever match an existing file.
 * The name of a file being created (empty SEARCH) is never matched to another existing file.
 */
export function chooseFilename(candidates: readonly string[], isNewFile: boolean, options: ParseBlocksOptions): string | undefined {
  const known = new Set(options.knownFiles);
  const isFile = options.isFile ?? ((path: string) => known.has(path));
  const names = candidates.map(normalise);
  const exact = names.find((name) => known.has(name) || isFile(name));
  if (exact !== undefined) return exact;

  const plain = names.filter((name) => !/\s/.test(name));
  if (!isNewFile) {
    for (const name of plain) {
      const bySuffix = options.knownFiles.filter((file) => file.endsWith(`/${name}`));
      if (bySuffix.length === 1) return bySuffix[0];
    }
    for (const name of plain) {
      const close = closestMatch(name, options.knownFiles, 0.8, { unique: true });
      if (close !== undefined) return close;
    }
  }
  const withDot = plain.find((name) => name.includes('.') && name !== '.' && name !== '..');
  if (withDot !== undefined) return withDot;
  // A new file may have no extension (Makefile, Dockerfile): accept one plain path-like word.
  return isNewFile ? plain.find((name) => /^[\w][\w.\-/]*$/.test(name)) : undefined;
}
