import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readSmallFile } from '../../workspace/small-file.js';
import { commonArguments, runRipgrep } from '../tools/ripgrep.js';

/** What an agent (or a user) is told about a workspace before working in it. */
export interface WorkspaceContext {
  /** Files not ignored by .gitignore or the default ignores. */
  fileCount: number;
  /** The first files in path order, at most `listLimit`. */
  files: string[];
  /** Languages by file count, most first. */
  languages: { language: string; files: number }[];
  /** Most recently modified files, newest first. */
  recentFiles: string[];
  /** The start of the README or project.md, when there is one. */
  readme?: { path: string; excerpt: string };
}

const listLimit = 200;
const recentLimit = 10;
const readmeExcerptChars = 1500;
/** More files than this are counted but not all statted for recency. */
const statLimit = 2000;

/** Programming languages only: documents and configuration (Markdown, JSON, YAML) say little about a project. */
const languages: Record<string, string> = {
  ts: 'TypeScript', tsx: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript',
  js: 'JavaScript', jsx: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript',
  py: 'Python', rb: 'Ruby', go: 'Go', rs: 'Rust', java: 'Java', kt: 'Kotlin', swift: 'Swift',
  c: 'C', h: 'C', cc: 'C++', cpp: 'C++', hpp: 'C++', cs: 'C#', php: 'PHP', scala: 'Scala',
  html: 'HTML', css: 'CSS', scss: 'CSS', vue: 'Vue', svelte: 'Svelte',
  sh: 'Shell', bash: 'Shell', sql: 'SQL',
};

/** Lists a workspace's files with ripgrep (gitignore-aware) and sums it up. */
export async function workspaceContext(root: string, signal: AbortSignal = new AbortController().signal): Promise<WorkspaceContext> {
  const all: string[] = [];
  await runRipgrep(['--files', ...commonArguments('.')], { cwd: root, signal, onLine: (line) => all.push(line.replace(/^\.\//, '')) });
  all.sort();

  const counts = new Map<string, number>();
  for (const file of all) {
    const language = languages[path.extname(file).slice(1).toLowerCase()];
    if (language) counts.set(language, (counts.get(language) ?? 0) + 1);
  }

  const timed = await Promise.all(
    all.slice(0, statLimit).map(async (file) => ({ file, modified: (await stat(path.join(root, file)).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  timed.sort((a, b) => b.modified - a.modified);

  const readmeName = all.find((file) => /^readme(\.(md|markdown|txt|rst))?$/i.test(file)) ?? all.find((file) => /^project\.md$/i.test(file));
  let readme: WorkspaceContext['readme'];
  if (readmeName) {
    // A README of more than 1 MiB (or one that is not a regular file) is skipped.
    const text = (await readSmallFile(path.join(root, readmeName), 1024 * 1024)) ?? '';
    if (text.trim()) readme = { path: readmeName, excerpt: text.length > readmeExcerptChars ? `${text.slice(0, readmeExcerptChars)}\n[...]` : text };
  }

  return {
    fileCount: all.length,
    files: all.slice(0, listLimit),
    languages: [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([language, files]) => ({ language, files })),
    recentFiles: timed.slice(0, recentLimit).map((entry) => entry.file),
    ...(readme ? { readme } : {}),
  };
}

/** A few lines for the system prompt: small models need to know what is there without a tool call. */
export function summarizeWorkspace(context: WorkspaceContext, maxFiles = 40): string {
  if (context.fileCount === 0) return 'The workspace is empty.';
  const lines = [
    `${context.fileCount} files${context.languages.length ? ` (${context.languages.slice(0, 4).map((entry) => entry.language).join(', ')})` : ''}:`,
    ...context.files.slice(0, maxFiles).map((file) => `- ${file}`),
  ];
  if (context.fileCount > maxFiles) lines.push(`- ... and ${context.fileCount - maxFiles} more (use glob to list them)`);
  return lines.join('\n');
}
