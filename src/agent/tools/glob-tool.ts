import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { commonArguments, compileGlob, defaultIgnoredFolders, fileNameFilterArguments, isPatternError, runRipgrep } from './ripgrep.js';
import { defineTool, ToolError } from './tool.js';
import { resolveInWorkspace } from './workspace-path.js';

/** Paths shown at most; past that the model is asked to narrow the pattern. */
export const globResultLimit = 100;

const description = `Finds files by name with a glob pattern and lists their paths, most recently modified first.
- "*.ts" matches at any depth (src/a.ts too); a pattern with a slash is relative to the searched folder: "src/**/*.test.ts", "src/*.ts" (only directly in src). "**" spans folders, "{a,b}" picks one: "*.{js,jsx}".
- Files ignored by .gitignore and the folders ${defaultIgnoredFolders.join(', ')} are skipped; give such a folder as \`path\` to look inside it.
- At most ${globResultLimit} paths are listed. Use grep to search file contents, read to open a file.`;

const parameters = z.object({
  pattern: z.string().min(1, 'give a glob such as "**/*.ts"').describe('Glob to match file paths against, e.g. "*.ts" or "src/**/*.test.ts".'),
  path: z
    .string()
    .optional()
    .describe('Folder to search in, relative to the workspace root. Defaults to the whole workspace.'),
});

interface FoundFile {
  readonly path: string;
  readonly modified: number;
}

/** Statting thousands of files at once would exhaust file handles; a few dozen keep the disk busy. */
const statConcurrency = 32;

async function withModificationTimes(root: string, paths: readonly string[]): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  for (let start = 0; start < paths.length; start += statConcurrency) {
    const batch = paths.slice(start, start + statConcurrency);
    const stats = await Promise.all(batch.map((relative) => stat(path.join(root, relative)).catch(() => undefined)));
    batch.forEach((relative, index) => {
      // A file deleted between the listing and now is simply left out.
      const information = stats[index];
      if (information) found.push({ path: relative, modified: information.mtimeMs });
    });
  }
  return found;
}

/**
 * `glob {pattern, path?}`: lists files under `path` (the workspace by default) whose path
 * relative to it matches `pattern`, newest first, at most 100, as workspace-relative paths.
 * Listing is done by ripgrep, so .gitignore and the default folders are honoured and symlinks
 * are not followed (nothing outside the workspace is listed); the glob is matched here, because
 * ripgrep's own `--glob` would list gitignored files that match it.
 */
export const globTool = defineTool('glob', {
  description,
  brief: 'Lists files whose path matches a glob pattern such as "src/**/*.ts".',
  parameters,
  async execute(input, context) {
    const folder = await resolveInWorkspace(context.root, input.path ?? '.');
    const information = await stat(folder.absolute).catch(() => undefined);
    if (!information) {
      throw new ToolError('not_found', `The folder "${folder.relative}" does not exist. Omit path to search the whole workspace.`, {
        path: folder.relative,
      });
    }
    if (!information.isDirectory()) {
      throw new ToolError(
        'not_a_directory',
        `"${folder.relative}" is a file, not a folder. Give a folder as path, or use the read tool to open the file.`,
        { path: folder.relative },
      );
    }
    const matches = compileGlob(input.pattern);
    const prefix = folder.relative === '.' ? '' : `${folder.relative}/`;

    const candidates: string[] = [];
    const result = await runRipgrep(
      ['--files', ...commonArguments(folder.relative), ...fileNameFilterArguments(input.pattern), '--', ...(prefix ? [folder.relative] : [])],
      {
        cwd: context.root,
        signal: context.signal,
        onLine(line) {
          if (line.startsWith(prefix) && matches(line.slice(prefix.length))) candidates.push(line);
        },
      },
    );
    if (result.exitCode === 2 && candidates.length === 0) {
      if (isPatternError(result.stderr)) {
        throw new ToolError('invalid_pattern', `The glob "${input.pattern}" was refused by ripgrep: ${result.stderr}`, { pattern: input.pattern });
      }
      throw new ToolError('search_failed', `Listing files failed: ${result.stderr || `ripgrep exited with code ${result.exitCode}`}`);
    }

    const where = prefix ? ` in ${folder.relative}` : '';
    if (candidates.length === 0) {
      const hint = /[*?[{]/.test(input.pattern) ? '' : ` To list a folder's files, use pattern "**/*" with that folder as path.`;
      return { output: `No files match ${input.pattern}${where}.${hint}`, metadata: { count: 0, truncated: false } };
    }

    const files = await withModificationTimes(context.root, candidates);
    files.sort((first, second) => second.modified - first.modified || (first.path < second.path ? -1 : 1));
    const shown = files.slice(0, globResultLimit);
    const lines = shown.map((file) => file.path);
    const hidden = files.length - shown.length;
    if (hidden > 0) lines.push('', `(${hidden} more not shown; narrow the pattern)`);
    return { output: lines.join('\n'), metadata: { count: files.length, truncated: hidden > 0 } };
  },
});
