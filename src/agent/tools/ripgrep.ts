import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ToolError } from './tool.js';

/**
 * Folders the search tools skip unless the model points `path` into one: dependencies, build
 * output, caches, git's own data and wfhub's saved outputs. Their files are rarely what a task
 * is about and would crowd out everything else in a 100-result list.
 */
export const defaultIgnoredFolders = [
  'node_modules',
  'dist',
  'build',
  'target',
  '.venv',
  'venv',
  '__pycache__',
  '.git',
  '.wfhub-outputs',
  'coverage',
  '.next',
] as const;

let binary: Promise<string> | undefined;

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function locateRipgrep(): Promise<string> {
  try {
    // Imported lazily: the package throws at import time when its platform binary is missing,
    // which must not stop wfhub from starting when a system `rg` would do.
    const { rgPath } = await import('@vscode/ripgrep');
    if (rgPath && (await isExecutable(rgPath))) return rgPath;
  } catch {
    // Fall through to PATH.
  }
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (folder === '') continue;
    const candidate = path.join(folder, process.platform === 'win32' ? 'rg.exe' : 'rg');
    if (await isExecutable(candidate)) return candidate;
  }
  throw new Error(
    'ripgrep was not found: the @vscode/ripgrep package has no binary for this platform and no `rg` is on PATH. ' +
      'Reinstall wfhub\'s dependencies (npm install) or install ripgrep (e.g. "apt install ripgrep").',
  );
}

/** The ripgrep executable: `@vscode/ripgrep`'s binary when it is on disk, else `rg` on PATH. */
export function ripgrepBinary(): Promise<string> {
  binary ??= locateRipgrep().catch((error: unknown) => {
    // Not cached, so installing ripgrep fixes a running hub.
    binary = undefined;
    throw error;
  });
  return binary;
}

/**
 * Arguments every search shares: hidden files included, `.gitignore` honoured even outside a git
 * repository, the user's ripgrep config ignored (it could change the output format), and the
 * default folders skipped.
 *
 * `searchRelative` is the workspace-relative folder or file searched. When it lies inside a
 * default-ignored folder the model asked for it explicitly, so ignore files are switched off
 * there too: `.wfhub-outputs` ignores itself with a `*` `.gitignore`, which would hide every
 * saved output.
 */
export function commonArguments(searchRelative: string): string[] {
  const ignoredFolders: readonly string[] = defaultIgnoredFolders;
  const insideIgnored = searchRelative.split('/').some((segment) => ignoredFolders.includes(segment));
  return [
    '--no-config',
    '--hidden',
    '--no-require-git',
    // A .gitignore above the workspace (wfhub's own checkout, say) is not the project's.
    '--no-ignore-parent',
    ...(insideIgnored ? ['--no-ignore'] : []),
    // A trailing slash limits the glob to folders, so a file called `build` is still found.
    // `.git` can be a file too (worktrees, submodules).
    ...defaultIgnoredFolders.flatMap((name) => ['--glob', name === '.git' ? '!.git' : `!${name}/`]),
  ];
}

/**
 * Arguments that narrow ripgrep to files whose name can match `pattern`, or none when that
 * cannot be expressed. ripgrep's `--glob` would be simpler but a positive `--glob` overrides
 * `.gitignore` (`--glob '*.log'` lists ignored logs); a file type is checked after the ignore
 * rules, so it narrows without un-ignoring anything. Types match the file name only, so only the
 * last segment of the pattern is used; `matchesGlob` then checks the whole path.
 */
export function fileNameFilterArguments(pattern: string): string[] {
  const lastSlash = pattern.lastIndexOf('/');
  const folderPart = pattern.slice(0, lastSlash + 1);
  const name = pattern.slice(lastSlash + 1);
  // A brace or class spanning the last slash ("{a/b,c}") makes the split meaningless; a colon
  // cannot be written in a type definition.
  if (name === '' || name.includes('**') || name.includes(':') || /[{}[\]]/.test(folderPart)) return [];
  return ['--type-add', `wfhubname:${name}`, '--type', 'wfhubname'];
}

function escapeForRegex(character: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(character) ? `\\${character}` : character;
}

function invalidGlob(pattern: string, problem: string): never {
  throw new ToolError('invalid_pattern', `The glob "${pattern}" is invalid: ${problem}. Examples of valid globs: "*.ts", "src/**/*.test.ts", "*.{js,jsx}".`, {
    pattern,
  });
}

/** Translates one glob (already stripped of its anchoring) into a regular expression body. */
function globBody(pattern: string, original: string): string {
  let body = '';
  let braceDepth = 0;
  let index = 0;
  while (index < pattern.length) {
    const character = pattern[index] as string;
    if (character === '*' && pattern[index + 1] === '*') {
      const atSegmentStart = index === 0 || pattern[index - 1] === '/';
      const next = pattern[index + 2];
      if (atSegmentStart && next === '/') {
        body += '(?:.*/)?';
        index += 3;
        continue;
      }
      if (atSegmentStart && next === undefined) {
        body += '.*';
        index += 2;
        continue;
      }
      // "a**b" is two stars inside one segment, as in gitignore.
      body += '[^/]*';
      index += 2;
      continue;
    }
    if (character === '*') body += '[^/]*';
    else if (character === '?') body += '[^/]';
    else if (character === '\\') {
      const escaped = pattern[index + 1];
      if (escaped === undefined) invalidGlob(original, 'it ends with a lone backslash');
      body += escapeForRegex(escaped);
      index += 1;
    } else if (character === '[') {
      let end = index + 1;
      if (pattern[end] === '!' || pattern[end] === '^') end += 1;
      // A "]" right after the opening bracket is a member, not the end.
      if (pattern[end] === ']') end += 1;
      while (end < pattern.length && pattern[end] !== ']') end += 1;
      if (end >= pattern.length) invalidGlob(original, 'a "[" is not closed');
      let members = pattern.slice(index + 1, end);
      const negated = members.startsWith('!') || members.startsWith('^');
      if (negated) members = members.slice(1);
      const escapedMembers = members.replace(/[\\[\]^]/g, (member) => `\\${member}`);
      body += negated ? `[^/${escapedMembers}]` : `[${escapedMembers}]`;
      index = end;
    } else if (character === '{') {
      braceDepth += 1;
      body += '(?:';
    } else if (character === ',' && braceDepth > 0) body += '|';
    else if (character === '}' && braceDepth > 0) {
      braceDepth -= 1;
      body += ')';
    } else body += escapeForRegex(character);
    index += 1;
  }
  if (braceDepth > 0) invalidGlob(original, 'a "{" is not closed');
  return body;
}

/**
 * Compiles a glob with ripgrep's (gitignore's) meaning, for paths relative to the folder searched:
 * `*`, `?` and `[...]` stay within one path segment, `**` spans folders, `{a,b}` picks one. A
 * pattern without a slash matches the file name at any depth (`*.ts` finds `src/a.ts`); one with a
 * slash is anchored to the searched folder (`src/*.ts`); a leading `/` anchors explicitly and a
 * trailing `/` means everything inside. Throws a ToolError 'invalid_pattern' for a malformed glob.
 */
export function compileGlob(pattern: string): (relativePath: string) => boolean {
  let anchored = pattern.replace(/^(?:\.\/)+/, '');
  if (anchored.endsWith('/')) anchored += '**';
  const atAnyDepth = !anchored.replace(/\/\*\*$/, '').includes('/');
  if (anchored.startsWith('/')) anchored = anchored.replace(/^\/+/, '');
  else if (atAnyDepth && !anchored.startsWith('**/')) anchored = `**/${anchored}`;
  const expression = new RegExp(`^${globBody(anchored, pattern)}$`);
  return (relativePath) => expression.test(relativePath);
}

export interface RipgrepOptions {
  /** The workspace root: ripgrep prints paths relative to it. */
  readonly cwd: string;
  /** Aborting kills ripgrep and rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Each line of standard output, as it arrives. A throw stops ripgrep and rejects the run. */
  readonly onLine: (line: string) => void;
}

export interface RipgrepResult {
  /** 0: something found; 1: nothing found; 2: an error (possibly alongside results). */
  readonly exitCode: number | null;
  /** The start of what ripgrep wrote to stderr. */
  readonly stderr: string;
}

const stderrLimit = 4_000;

/**
 * ripgrep exits with 2, the error code, when filters left no file to search (an empty folder, an
 * include nothing matches); for the tools that is simply nothing found.
 */
function normalise(exitCode: number | null, stderr: string): RipgrepResult {
  if (exitCode === 2 && stderr.startsWith('No files were searched')) return { exitCode: 1, stderr: '' };
  return { exitCode, stderr };
}

/**
 * Runs ripgrep without a shell (arguments are passed as they are, so a pattern is never
 * interpreted by one) and streams its output line by line, so a huge result never sits in memory
 * as one string.
 */
export async function runRipgrep(args: readonly string[], options: RipgrepOptions): Promise<RipgrepResult> {
  const file = await ripgrepBinary();
  options.signal.throwIfAborted();
  return new Promise<RipgrepResult>((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (stderr.length < stderrLimit) stderr += text.slice(0, stderrLimit - stderr.length);
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    let failure: unknown;
    lines.on('line', (line) => {
      if (options.signal.aborted || failure !== undefined) return;
      try {
        options.onLine(line);
      } catch (error) {
        // A throw here would escape into the stream and crash wfhub: stop ripgrep and report it.
        failure = error;
        child.kill();
      }
    });
    const linesDone = new Promise<void>((done) => lines.once('close', done));
    child.once('error', (error) => {
      lines.close();
      reject(options.signal.aborted ? options.signal.reason : error);
    });
    child.once('close', (exitCode) => {
      void linesDone.then(() => {
        if (options.signal.aborted) reject(options.signal.reason);
        else if (failure !== undefined) reject(failure);
        else resolve(normalise(exitCode, stderr.replace(/^rg: /gm, '').trim()));
      });
    });
  });
}

/** Whether ripgrep's complaint is about the regular expression or glob it was given. */
export function isPatternError(stderr: string): boolean {
  return /regex|error parsing glob|literal .* not allowed/i.test(stderr);
}
