import { stat } from 'node:fs/promises';
import path from 'node:path';
import { commonArguments, runRipgrep } from './ripgrep.js';

/** A workspace's files at a moment: path to modification time and size. */
export type FileSnapshot = ReadonlyMap<string, string>;

/** Past this many files a snapshot is not taken: a command's changes are then not listed. */
const snapshotLimit = 20_000;
const statConcurrency = 64;

/**
 * Lists the workspace's files (as glob sees them: .gitignore and the default ignores honoured)
 * with their modification time and size, so the files a command created, changed or deleted can
 * be named afterwards. Undefined for a workspace too large to list cheaply.
 */
export async function snapshotFiles(root: string, signal: AbortSignal): Promise<FileSnapshot | undefined> {
  const paths: string[] = [];
  let tooMany = false;
  await runRipgrep(['--files', ...commonArguments('.')], {
    cwd: root,
    signal,
    onLine: (line) => {
      if (paths.length >= snapshotLimit) tooMany = true;
      else paths.push(line.replace(/^\.\//, ''));
    },
  });
  if (tooMany) return undefined;
  const snapshot = new Map<string, string>();
  for (let start = 0; start < paths.length; start += statConcurrency) {
    const batch = paths.slice(start, start + statConcurrency);
    const stats = await Promise.all(batch.map((file) => stat(path.join(root, file)).catch(() => undefined)));
    batch.forEach((file, index) => {
      const information = stats[index];
      if (information) snapshot.set(file, `${information.mtimeMs}:${information.size}`);
    });
  }
  return snapshot;
}

/** Files created, changed or deleted between two snapshots, sorted. */
export function changedFiles(before: FileSnapshot, after: FileSnapshot): string[] {
  const changed = new Set<string>();
  for (const [file, signature] of after) if (before.get(file) !== signature) changed.add(file);
  for (const file of before.keys()) if (!after.has(file)) changed.add(file);
  return [...changed].sort();
}
