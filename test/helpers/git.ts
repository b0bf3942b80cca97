import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Real git, as the user: their own identity, output trimmed. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Me', '-c', 'user.email=me@example.com', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

/** Makes `dir` a repository on branch main whose one commit (`message`) holds `files`. */
export function repositoryWith(dir: string, files: Record<string, string>, message = 'Start'): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}
