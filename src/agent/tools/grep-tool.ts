import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { commonArguments, compileGlob, defaultIgnoredFolders, fileNameFilterArguments, isPatternError, runRipgrep } from './ripgrep.js';
import { defineTool, ToolError } from './tool.js';
import { resolveInWorkspace } from './workspace-path.js';

/** Matching lines shown at most; past that the model is asked to narrow the search. */
export const grepResultLimit = 100;
/** Characters of a matching line shown. */
export const grepLineLength = 500;

const description = `Searches file contents with a regular expression (ripgrep/Rust syntax) and lists matching lines grouped by file, as "path:" then "  N: line".
- Examples: "function\\s+parseConfig", "TODO|FIXME", "(?i)error" (case-insensitive). Escape regex characters for literal text: "foo\\(".
- \`path\` limits the search to a folder or one file; \`include\` to file names matching a glob, e.g. "*.ts" or "*.{js,jsx}".
- Files ignored by .gitignore and the folders ${defaultIgnoredFolders.join(', ')} are skipped; give such a folder as \`path\` to search inside it.
- At most ${grepResultLimit} matching lines are shown; lines over ${grepLineLength} characters are cut. Use read to see a match in context.`;

const parameters = z.object({
  pattern: z.string().min(1, 'give a regular expression to search for').describe('Regular expression to search for, e.g. "class\\s+User".'),
  path: z.string().optional().describe('Folder or file to search, relative to the workspace root. Defaults to the whole workspace.'),
  include: z.string().min(1).optional().describe('Glob of the files to search, e.g. "*.ts" or "src/**/*.{ts,tsx}".'),
});

/**
 * The fields of ripgrep's `--json` messages used here (a deliberately minimal schema: fields
 * ripgrep adds later do not matter). Text that is not valid UTF-8 comes as base64 `bytes`.
 */
const jsonText = z.union([z.object({ text: z.string() }), z.object({ bytes: z.string() })]);
const ripgrepMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('begin'), data: z.object({ path: jsonText }) }),
  z.object({
    type: z.literal('match'),
    data: z.object({
      path: jsonText,
      lines: jsonText,
      line_number: z.number().nullable(),
      submatches: z.array(z.object({ start: z.number() })),
    }),
  }),
]);

/** A line that is not JSON is skipped: this runs inside a stream listener, where a throw would crash wfhub. */
function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function decode(value: z.infer<typeof jsonText>): string {
  return 'text' in value ? value.text : Buffer.from(value.bytes, 'base64').toString('utf8');
}

/**
 * Holds a line to `grepLineLength` characters. When the match lies beyond the cut (minified
 * code), the window is moved to show it rather than the line's unrelated beginning.
 */
function shortenLine(line: string, matchByteOffset: number | undefined): string {
  if (line.length <= grepLineLength) return line;
  const matchStart = matchByteOffset === undefined ? 0 : Buffer.from(line).subarray(0, matchByteOffset).toString('utf8').length;
  const start = matchStart + 50 > grepLineLength ? Math.max(0, matchStart - 100) : 0;
  const end = start + grepLineLength;
  return `${start > 0 ? '...' : ''}${line.slice(start, end)}${end < line.length ? '... (line cut)' : ''}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 'es'}`;
}

interface FileMatches {
  readonly path: string;
  readonly lines: string[];
}

/**
 * `grep {pattern, path?, include?}`: ripgrep over the workspace (or a folder or file in it), with
 * .gitignore and the default folders honoured and symlinks not followed, so no file outside the
 * workspace is ever read. Results are sorted by path so the same search gives the same answer.
 */
export const grepTool = defineTool('grep', {
  description,
  brief: 'Searches file contents with a regular expression; lists matching lines by file.',
  parameters,
  async execute(input, context) {
    const target = await resolveInWorkspace(context.root, input.path ?? '.');
    const information = await stat(target.absolute).catch(() => undefined);
    if (!information) {
      throw new ToolError('not_found', `"${target.relative}" does not exist. Omit path to search the whole workspace.`, { path: target.relative });
    }
    if (!information.isDirectory() && !information.isFile()) {
      throw new ToolError('not_a_file', `"${target.relative}" is neither a folder nor a regular file.`, { path: target.relative });
    }
    // `include` is relative to the folder searched; for a single file, to its folder.
    const base = information.isDirectory() ? (target.relative === '.' ? '' : `${target.relative}/`) : target.relative.slice(0, target.relative.lastIndexOf('/') + 1);
    const included = input.include === undefined ? () => true : compileGlob(input.include);

    const files: FileMatches[] = [];
    let matchCount = 0;
    let fileCount = 0;
    let fileIncluded = false;
    const result = await runRipgrep(
      [
        '--json',
        '--sort=path',
        ...commonArguments(target.relative),
        ...(input.include === undefined ? [] : fileNameFilterArguments(input.include)),
        '--regexp',
        input.pattern,
        '--',
        ...(target.relative === '.' ? [] : [target.relative]),
      ],
      {
        cwd: context.root,
        signal: context.signal,
        onLine(line) {
          // ripgrep prints one file's messages together, begin first; once the list is full,
          // matches are only counted, without parsing.
          if (line.startsWith('{"type":"match"')) {
            if (!fileIncluded) return;
            matchCount += 1;
            if (matchCount > grepResultLimit) return;
          } else if (!line.startsWith('{"type":"begin"')) return;
          const parsed = ripgrepMessage.safeParse(parseJson(line));
          if (!parsed.success) return;
          const message = parsed.data;
          if (message.type === 'begin') {
            const file = decode(message.data.path);
            fileIncluded = file.startsWith(base) && included(file.slice(base.length));
            if (fileIncluded) fileCount += 1;
            if (fileIncluded && matchCount < grepResultLimit) files.push({ path: file, lines: [] });
            return;
          }
          const text = decode(message.data.lines).replace(/\r?\n$/, '');
          const shown = shortenLine(text, message.data.submatches[0]?.start);
          files.at(-1)?.lines.push(`  ${message.data.line_number ?? '?'}: ${shown}`);
        },
      },
    );
    if (result.exitCode === 2 && matchCount === 0) {
      if (isPatternError(result.stderr)) {
        throw new ToolError(
          'invalid_pattern',
          `The pattern is not a valid regular expression (ripgrep uses Rust regex syntax; escape characters such as ( [ { . * + ? with a backslash for literal text): ${result.stderr}`,
          { pattern: input.pattern },
        );
      }
      throw new ToolError('search_failed', `The search failed: ${result.stderr || `ripgrep exited with code ${result.exitCode}`}`);
    }

    const where = target.relative === '.' ? '' : ` in ${target.relative}`;
    if (matchCount === 0) {
      return { output: `No matches for ${input.pattern}${where}${input.include ? ` (files matching ${input.include})` : ''}.`, metadata: { matches: 0, files: 0, truncated: false } };
    }
    const hidden = Math.max(0, matchCount - grepResultLimit);
    const header =
      `Found ${plural(matchCount, 'match')} in ${fileCount} file${fileCount === 1 ? '' : 's'}` +
      (hidden > 0 ? `; showing the first ${grepResultLimit}.` : '.');
    const sections = files.filter((file) => file.lines.length > 0).map((file) => `${file.path}:\n${file.lines.join('\n')}`);
    const footer = hidden > 0 ? [`(${plural(hidden, 'more match')} not shown; narrow the pattern, path or include.)`] : [];
    return {
      output: [header, ...sections, ...footer].join('\n\n'),
      metadata: { matches: matchCount, files: fileCount, truncated: hidden > 0 },
    };
  },
});
