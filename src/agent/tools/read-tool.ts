import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { defineTool, ToolError } from './tool.js';
import { resolveInWorkspace, type WorkspacePath } from './workspace-path.js';

/** Lines read when the model gives no `limit`: most source files fit whole. */
export const defaultReadLimit = 2000;
/** Characters of one line shown; minified files have lines of megabytes. */
export const maxLineLength = 2000;
/** Bytes of output, line prefixes included: about 12k tokens, a fair share of a 16k-32k context. */
export const maxReadBytes = 50 * 1024;
/** Bytes checked for a NUL, as git does to tell binary files from text. */
const binarySniffBytes = 8 * 1024;

/** Extensions of formats that are binary even when their first bytes hold no NUL. */
const binaryExtensions = new Set(
  (
    '.png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .psd .avif .heic ' +
    '.pdf .doc .docx .xls .xlsx .ppt .pptx .odt .ods ' +
    '.zip .gz .tgz .bz2 .xz .zst .7z .rar .tar .jar .war .ear .apk .deb .rpm .iso .dmg ' +
    '.exe .dll .so .dylib .o .a .lib .obj .bin .class .pyc .pyo .wasm .node ' +
    '.woff .woff2 .ttf .otf .eot ' +
    '.mp3 .mp4 .wav .ogg .flac .aac .m4a .avi .mov .mkv .webm ' +
    '.sqlite .sqlite3 .db .parquet .pkl .npy .npz .pt .onnx .safetensors .gguf'
  ).split(' '),
);

const description = `Reads a text file from the workspace and returns its lines numbered as "N: text".
- The "N: " prefix is not part of the file: never copy it into edits or writes.
- Reads up to ${defaultReadLimit} lines from the start by default; for a longer file, continue with \`offset\` (the 1-based line to start at) as the footer says, and \`limit\` for fewer lines.
- Lines over ${maxLineLength} characters are cut; output over ${maxReadBytes / 1024} KB stops early with a footer giving the offset to continue from.
- Binary files (images, archives, compiled code) are refused. For a folder, use the glob tool; to find text, use grep.`;

const parameters = z.object({
  path: z.string().min(1, 'give the file to read, e.g. "src/index.ts"').describe('File to read, relative to the workspace root, e.g. "src/index.ts".'),
  offset: z.number().int().min(1).optional().describe('1-based line number to start reading at. Defaults to 1.'),
  limit: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(`Maximum number of lines to read. Defaults to ${defaultReadLimit}.`),
});

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Edit distance between two short names, for "did you mean" suggestions. */
function editDistance(first: string, second: string): number {
  let previous = Array.from({ length: second.length + 1 }, (_, index) => index);
  for (let row = 1; row <= first.length; row += 1) {
    const current = [row];
    for (let column = 1; column <= second.length; column += 1) {
      const substitution = (previous[column - 1] as number) + (first[row - 1] === second[column - 1] ? 0 : 1);
      current.push(Math.min((previous[column] as number) + 1, (current[column - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[second.length] as number;
}

function stem(name: string): string {
  const extension = path.extname(name);
  return extension ? name.slice(0, -extension.length) : name;
}

/** Lower is closer; undefined when `candidate` is not worth suggesting for `wanted`. */
function similarity(wanted: string, candidate: string): number | undefined {
  const wantedLower = wanted.toLowerCase();
  const candidateLower = candidate.toLowerCase();
  if (wantedLower === candidateLower) return 0;
  if (stem(wantedLower) === stem(candidateLower)) return 1;
  if (candidateLower.includes(wantedLower) || wantedLower.includes(candidateLower)) return 2;
  const distance = editDistance(wantedLower, candidateLower);
  return distance <= Math.max(2, Math.floor(wantedLower.length / 3)) ? 2 + distance : undefined;
}

/** Up to three names in the missing file's folder that look like what was asked for. */
async function similarNames(root: string, missing: string): Promise<string[]> {
  const folder = path.dirname(missing);
  const wanted = path.basename(missing);
  const entries = await readdir(folder).catch(() => [] as string[]);
  return entries
    .map((name) => ({ name, score: similarity(wanted, name) }))
    .filter((entry): entry is { name: string; score: number } => entry.score !== undefined)
    .sort((first, second) => first.score - second.score || first.name.localeCompare(second.name))
    .slice(0, 3)
    .map((entry) => path.relative(root, path.join(folder, entry.name)).split(path.sep).join('/'));
}

async function notFound(root: string, file: WorkspacePath): Promise<never> {
  const suggestions = await similarNames(root, file.absolute);
  const folderExists = await stat(path.dirname(file.absolute)).then(
    (information) => information.isDirectory(),
    () => false,
  );
  let message = `File not found: ${file.relative}.`;
  if (suggestions.length > 0) message += ` Did you mean ${suggestions.join(', ')}?`;
  else if (!folderExists) message += ` Its folder does not exist either; use the glob tool to find the file.`;
  else message += ' Use the glob tool to find the file.';
  throw new ToolError('not_found', message, { path: file.relative, suggestions });
}

async function refuseBinary(file: WorkspacePath): Promise<void> {
  const refuse = (): never => {
    throw new ToolError('binary_file', `${file.relative} is a binary file and cannot be read as text.`, { path: file.relative });
  };
  if (binaryExtensions.has(path.extname(file.absolute).toLowerCase())) refuse();
  const handle = await open(file.absolute, 'r');
  try {
    const buffer = Buffer.alloc(binarySniffBytes);
    const { bytesRead } = await handle.read(buffer, 0, binarySniffBytes, 0);
    if (buffer.subarray(0, bytesRead).includes(0)) refuse();
  } finally {
    await handle.close();
  }
}

interface LineWindow {
  /** Rendered "N: text" lines. */
  readonly lines: string[];
  readonly totalLines: number;
  /** The window stopped because of the byte cap rather than `limit`. */
  readonly cutBySize: boolean;
}

/**
 * Streams the file once: keeps the wanted lines (each held to `maxLineLength` characters even if
 * the line itself is megabytes long) and only counts the rest, so a huge file costs time, not
 * memory. A line ends at "\n"; a "\r" before it is dropped.
 */
async function readWindow(file: string, start: number, limit: number, signal: AbortSignal): Promise<LineWindow> {
  const lines: string[] = [];
  let outputBytes = 0;
  let collecting = true;
  let cutBySize = false;
  let lineNumber = 1;
  let current = '';
  let currentLength = 0;
  let lineOpen = false;

  const finishLine = (): void => {
    if (!collecting || lineNumber < start) return;
    let text = current;
    let length = currentLength;
    if (length === text.length && text.endsWith('\r')) {
      text = text.slice(0, -1);
      length -= 1;
    }
    const shown = length > maxLineLength ? `${text.slice(0, maxLineLength)}... (line cut: ${length - maxLineLength} more characters)` : text;
    const rendered = `${lineNumber}: ${shown}`;
    const bytes = Buffer.byteLength(rendered) + 1;
    if (outputBytes + bytes > maxReadBytes) {
      collecting = false;
      cutBySize = true;
      return;
    }
    lines.push(rendered);
    outputBytes += bytes;
    if (lines.length >= limit) collecting = false;
  };

  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024, signal });
  for await (const chunk of stream as AsyncIterable<string>) {
    let position = 0;
    while (position < chunk.length) {
      const newline = chunk.indexOf('\n', position);
      const end = newline === -1 ? chunk.length : newline;
      if (collecting && lineNumber >= start) {
        // One character past the cap is kept so a cut line can still be told from a full one.
        const room = maxLineLength + 1 - current.length;
        if (room > 0) current += chunk.slice(position, Math.min(end, position + room));
        currentLength += end - position;
      }
      lineOpen = true;
      if (newline === -1) break;
      finishLine();
      lineNumber += 1;
      current = '';
      currentLength = 0;
      lineOpen = false;
      position = newline + 1;
    }
  }
  if (lineOpen) {
    finishLine();
    return { lines, totalLines: lineNumber, cutBySize };
  }
  return { lines, totalLines: lineNumber - 1, cutBySize };
}

/**
 * `read {path, offset?, limit?}`: numbered lines of a text file in the workspace, paged by
 * `offset`/`limit` and capped in size, with a footer saying where the file ends or how to go on.
 */
export const readTool = defineTool('read', {
  description,
  brief: 'Reads a text file; lines come back as "N: text". Use offset and limit for big files.',
  parameters,
  async execute(input, context) {
    const file = await resolveInWorkspace(context.root, input.path);
    const information = await stat(file.absolute).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!information) return notFound(context.root, file);
    if (information.isDirectory()) {
      throw new ToolError(
        'is_directory',
        `${file.relative} is a folder, not a file. Use the glob tool to list its files (pattern "*" with path "${file.relative}").`,
        { path: file.relative },
      );
    }
    if (!information.isFile()) {
      throw new ToolError('not_a_file', `${file.relative} is not a regular file (a pipe, socket or device) and cannot be read.`, {
        path: file.relative,
      });
    }
    await refuseBinary(file);
    if (information.size === 0) {
      return { output: `(${file.relative} is empty.)`, metadata: { path: file.relative, totalLines: 0 } };
    }

    const start = input.offset ?? 1;
    const limit = input.limit ?? defaultReadLimit;
    const window = await readWindow(file.absolute, start, limit, context.signal);
    if (start > window.totalLines) {
      throw new ToolError(
        'offset_out_of_range',
        `offset ${start} is past the end of ${file.relative}, which has ${plural(window.totalLines, 'line')}. Give an offset from 1 to ${window.totalLines}.`,
        { path: file.relative, totalLines: window.totalLines },
      );
    }
    const lastShown = start + window.lines.length - 1;
    const footer =
      lastShown < window.totalLines
        ? `(Showing lines ${start}-${lastShown} of ${window.totalLines}. Use offset=${lastShown + 1} to continue.)`
        : `(End of file, ${plural(window.totalLines, 'line')}.)`;
    return {
      output: `${window.lines.join('\n')}\n\n${footer}`,
      metadata: {
        path: file.relative,
        startLine: start,
        endLine: lastShown,
        totalLines: window.totalLines,
        truncated: lastShown < window.totalLines,
        cutBySize: window.cutBySize,
      },
    };
  },
});
