import { openSync, readSync, closeSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { findOnPath } from '../agent/tools/sandbox.js';
import { isInside } from '../workspace/workspace-root.js';

/** How deep under home an install folder is named: `~/.local/share/uv`, `~/.local/bin`, `~/.nvm`. */
function installFolder(home: string, file: string): string | undefined {
  if (!isInside(home, file) || file === home) return undefined;
  const parts = path.relative(home, file).split(path.sep);
  const depth = parts[0] === '.local' ? (parts[1] === 'share' ? 3 : 2) : parts[0] === '.config' || parts[0] === '.cache' ? 2 : 1;
  // The file itself lies at that depth: its folder is the one to show.
  const kept = parts.slice(0, Math.min(depth, parts.length - 1));
  return kept.length ? path.join(home, ...kept) : undefined;
}

function real(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

/** The interpreter a script's `#!/usr/bin/env node` line names, looked up on PATH. */
function interpreterOf(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(256);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const first = buffer.subarray(0, read).toString('utf8').split('\n')[0]!;
    const env = /^#!\s*\S*\/env\s+(?:-S\s+)?([\w.+-]+)/.exec(first);
    if (env) return findOnPath(env[1]!);
    const direct = /^#!\s*(\/\S+)/.exec(first);
    return direct?.[1];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The folders a program needs to start in the sandbox, which hides home and /tmp: the folders
 * holding it and its interpreter (by the path each is found at and by its real path) and, for
 * one installed under home, its install folder there (`~/.local/share/uv` for a uv tool, `~/.nvm`
 * for an npm global under nvm). Shown read-only; nothing else of home is.
 */
export function programMounts(file: string, home: string): string[] {
  const programs = [file, real(file)].filter((entry): entry is string => entry !== undefined);
  const interpreter = interpreterOf(real(file) ?? file);
  if (interpreter) programs.push(interpreter, ...[real(interpreter)].filter((entry): entry is string => entry !== undefined));
  const homeReal = real(home) ?? home;
  const folders = new Set<string>();
  for (const program of programs) {
    folders.add(path.dirname(program));
    for (const base of new Set([home, homeReal])) {
      const folder = installFolder(base, program);
      if (folder) folders.add(folder);
    }
  }
  return [...folders];
}
