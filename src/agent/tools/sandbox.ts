import { spawn } from 'node:child_process';
import { accessSync, constants, lstatSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isInside } from '../../workspace/workspace-root.js';
import type { SandboxSettings } from './sandbox-settings.js';
import { ToolError } from './tool.js';

/** Whether bubblewrap can isolate commands on this machine. */
export interface BubblewrapStatus {
  readonly usable: boolean;
  /** Absolute path of the `bwrap` found. */
  readonly executable?: string;
  /** Why it cannot be used: not installed, or installed but refused by the kernel or container. */
  readonly problem?: string;
}

/** The program to start for a command, with or without the sandbox around it. */
export interface SandboxedCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly sandboxed: boolean;
  /**
   * Set once per process (per bwrap executable) when `auto` falls back to running commands
   * directly; the caller logs it. Later fallbacks return no warning.
   */
  readonly warning?: string;
}

export interface SandboxCommandOptions {
  /** The workspace's real absolute path: the working directory and the only writable folder. */
  readonly root: string;
  readonly settings: SandboxSettings;
  /** The bubblewrap executable, a name looked up on PATH or a path. Tests point it elsewhere. */
  readonly bubblewrap?: string;
}

const installHint = 'Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)';

/**
 * The namespaces and mounts every sandbox uses, so the probe fails exactly when real commands
 * would: some containers allow `bwrap` itself but forbid user, pid or network namespaces, or
 * mounting a fresh /proc.
 */
const probeArguments = [
  '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp',
  '--unshare-net', '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
  'true',
];

interface Detection {
  readonly status: Promise<BubblewrapStatus>;
  warned: boolean;
}

/** One probe per executable for the life of the process: installing bwrap needs a restart. */
const detections = new Map<string, Detection>();

/** The executable `name` on PATH, as an absolute path. */
export function findOnPath(name: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!folder) continue;
    const candidate = path.join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

function probe(executable: string): Promise<BubblewrapStatus> {
  return new Promise((resolve) => {
    const child = spawn(executable, probeArguments, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 2_000) stderr += chunk;
    });
    child.on('error', (error) => resolve({ usable: false, executable, problem: `${executable} could not be started (${error.message})` }));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ usable: true, executable });
      const reason = stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
      resolve({
        usable: false,
        executable,
        problem: `${executable} is installed but cannot create a sandbox here (${reason}); the kernel or the container may forbid user namespaces`,
      });
    });
  });
}

function detection(bubblewrap: string): Detection {
  let entry = detections.get(bubblewrap);
  if (!entry) {
    const executable = bubblewrap.includes('/') ? bubblewrap : findOnPath(bubblewrap);
    const status = executable
      ? probe(executable)
      : Promise.resolve<BubblewrapStatus>({ usable: false, problem: `${bubblewrap} was not found on PATH` });
    entry = { status, warned: false };
    detections.set(bubblewrap, entry);
    // A failed probe (a busy machine timing it out, say) is retried a minute later, so one bad
    // moment does not leave every later command unsandboxed for the life of the process.
    void status.then((result) => {
      if (!result.usable) setTimeout(() => detections.delete(bubblewrap), 60_000).unref();
    });
  }
  return entry;
}

/** Finds bubblewrap and checks that it can actually build a sandbox here. A success is cached; a failure for a minute. */
export function detectBubblewrap(bubblewrap = 'bwrap'): Promise<BubblewrapStatus> {
  return detection(bubblewrap).status;
}

/** Real path of an existing path, or undefined when there is nothing there to hide. */
function existingRealPath(target: string): string | undefined {
  try {
    return realpathSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    // Unreadable (EACCES, ...): hide the path as given rather than risk leaving it visible.
    return target;
  }
}

function hideArguments(target: string): string[] {
  let isDirectory = true;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch {
    // cannot tell: a directory mount is the safer guess
  }
  return isDirectory ? ['--tmpfs', target] : ['--ro-bind', '/dev/null', target];
}

/** Drops duplicates and paths lying inside another of the list: the outer mount already hides them. */
function outermost(paths: string[]): string[] {
  const unique = [...new Set(paths)];
  return unique.filter((candidate) => !unique.some((other) => other !== candidate && isInside(other, candidate)));
}

/**
 * The workspace's git data (`.git`, a folder or a worktree's file) is read-only to commands:
 * `git status`, `log` and `diff` work, but nothing a command does can change the repository's
 * history, refs or config, which wfhub's own git later reads outside the sandbox (a config
 * entry such as core.fsmonitor would otherwise run a command there).
 */
function gitDataArguments(root: string): string[] {
  const target = path.join(root, '.git');
  try {
    lstatSync(target);
  } catch {
    return [];
  }
  const real = existingRealPath(target);
  // A `.git` link to a folder holding the workspace would, mounted read-only, cover it all.
  if (!real || isInside(real, root)) return [];
  return ['--ro-bind', real, real];
}

/** The extra folders, outer ones first so a writable folder inside a read-only one stays writable. */
function extraMountArguments(settings: SandboxSettings, root: string): string[] {
  const mounts = (settings.extraMounts ?? [])
    .map((mount) => ({ ...mount, real: existingRealPath(path.resolve(mount.path)) }))
    // A mount holding the workspace (`/`, reached through a link) would undo the sandbox's own.
    .filter((mount): mount is { path: string; writable: boolean; real: string } => mount.real !== undefined && !isInside(mount.real, root))
    .sort((a, b) => a.real.length - b.real.length);
  return mounts.flatMap((mount) => [mount.writable ? '--bind' : '--ro-bind', mount.real, mount.real]);
}

/**
 * With the network allowed, name lookups need /etc/resolv.conf, which is often a link into /run
 * (systemd-resolved), a hidden folder: its real file is shown again, read-only.
 */
function resolverArguments(hidden: readonly string[]): string[] {
  const real = existingRealPath('/etc/resolv.conf');
  if (!real || real === '/etc/resolv.conf' || !hidden.some((folder) => isInside(folder, real))) return [];
  return ['--ro-bind', real, real];
}

/**
 * The bubblewrap arguments around `bash -c command`. Mount order matters, since each later mount
 * covers earlier ones: the read-only system, a fresh /tmp, the hidden folders that contain the
 * workspace (or lie elsewhere), the workspace bound writable on top of them, and last the hidden
 * folders inside the workspace (a data dir kept in the project). A hidden path equal to the
 * workspace is ignored: the workspace always stays visible.
 */
export function bubblewrapArguments(command: string, root: string, settings: SandboxSettings): string[] {
  const beforeWorkspace: string[] = [];
  const insideWorkspace: string[] = [];
  for (const hidden of settings.hiddenPaths) {
    const real = existingRealPath(path.resolve(hidden));
    if (!real || real === path.parse(real).root) continue;
    if (isInside(real, root)) {
      if (real !== root) beforeWorkspace.push(real);
    } else if (isInside(root, real)) {
      insideWorkspace.push(real);
    } else {
      beforeWorkspace.push(real);
    }
  }
  return [
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    ...outermost(beforeWorkspace).flatMap(hideArguments),
    '--bind', root, root,
    ...gitDataArguments(root),
    ...extraMountArguments(settings, root),
    ...outermost(insideWorkspace).flatMap(hideArguments),
    ...(settings.allowNetwork ? resolverArguments(beforeWorkspace) : []),
    ...(settings.allowNetwork ? [] : ['--unshare-net']),
    '--unshare-pid',
    '--unshare-ipc',
    '--die-with-parent',
    '--new-session',
    // As root, bwrap keeps every capability unless told otherwise: the command could unmount the
    // tmpfs hiding a folder, or remount / writable.
    '--cap-drop', 'ALL',
    '--chdir', root,
    'bash', '-c', command,
  ];
}

/**
 * Builds what to spawn for `command` under `settings.mode`: `bwrap` requires a working
 * bubblewrap (a ToolError saying what to do otherwise), `off` runs `bash -c` directly, and
 * `auto` uses bubblewrap when it works here and otherwise runs directly with a one-time warning.
 */
export async function sandboxCommand(command: string, options: SandboxCommandOptions): Promise<SandboxedCommand> {
  const direct = { file: 'bash', args: ['-c', command], sandboxed: false };
  const { settings, root } = options;
  if (settings.mode === 'off') return direct;

  const entry = detection(options.bubblewrap ?? 'bwrap');
  const status = await entry.status;
  if (status.usable && status.executable) {
    return { file: status.executable, args: bubblewrapArguments(command, root, settings), sandboxed: true };
  }
  if (settings.mode === 'bwrap') {
    throw new ToolError(
      'sandbox_unavailable',
      `Commands must run in a bubblewrap sandbox (WFHUB_SANDBOX=bwrap), but ${status.problem}. ` +
        `${installHint}, or set WFHUB_SANDBOX=auto or off to run commands without a sandbox.`,
      { problem: status.problem },
    );
  }
  if (entry.warned) return direct;
  entry.warned = true;
  return {
    ...direct,
    warning:
      `Commands run WITHOUT a sandbox: ${status.problem}. They can read and write anything this user can. ` +
      `${installHint}, or set WFHUB_SANDBOX=bwrap to refuse to run commands without it.`,
  };
}

/** Names always kept from commands, whatever the settings list: anything that looks like a credential. */
const secretNamePattern = /TOKEN|SECRET|PASSWORD|API_KEY|DATABASE_URL/i;

/**
 * The environment a command gets: wfhub's own, minus its secrets, plus settings that keep tools
 * from waiting on a pager, a prompt or a terminal that nobody will ever answer.
 */
export function commandEnvironment(
  settings: SandboxSettings,
  options: { sandboxed: boolean; base?: NodeJS.ProcessEnv },
): NodeJS.ProcessEnv {
  const secrets = new Set(settings.secretVariables);
  const environment: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(options.base ?? process.env)) {
    if (value === undefined || secrets.has(name) || secretNamePattern.test(name)) continue;
    environment[name] = value;
  }
  Object.assign(environment, {
    PAGER: 'cat',
    GIT_PAGER: 'cat',
    TERM: 'dumb',
    CI: '1',
    NO_COLOR: '1',
    GIT_TERMINAL_PROMPT: '0',
    DEBIAN_FRONTEND: 'noninteractive',
  });
  // Inside the sandbox only /tmp (a fresh tmpfs) and the workspace are writable.
  if (options.sandboxed) environment.TMPDIR = '/tmp';
  return environment;
}
