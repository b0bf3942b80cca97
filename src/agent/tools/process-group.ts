import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export interface ProcessGroupOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Aborting stops the whole group, then the run rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** stdout and stderr text, interleaved in the order it arrives (stdout only, when `onStderr` is given). */
  readonly onOutput: (text: string) => void;
  /** stderr text apart from stdout, for programs whose stdout is a machine-readable stream. */
  readonly onStderr?: (text: string) => void;
  /** Time between SIGTERM and SIGKILL. */
  readonly killGraceMs?: number;
}

export interface ProcessGroupResult {
  /** Null when the leader was ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** Groups still running, killed outright if wfhub exits first (a sandbox dies with its parent anyway). */
const running = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const group of running) send(group, 'SIGKILL');
  });
}

/** Signals a whole process group; false when the group no longer exists. */
function send(group: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-group, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether the group still has a member that is not a zombie. `kill(-group, 0)` alone counts
 * zombies, and orphans stay zombies for good where pid 1 does not reap them (some containers),
 * so on Linux the members are read from /proc.
 */
function groupAlive(group: number): boolean {
  if (!send(group, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const [state, , processGroup] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(processGroup) === group && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

/** SIGTERM to the whole group, then SIGKILL to whatever is left after the grace. */
async function stopGroup(group: number, graceMs: number): Promise<void> {
  if (!send(group, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await delay(25);
    if (!groupAlive(group)) return;
  }
  send(group, 'SIGKILL');
}

/**
 * Runs a program as the leader of a new process group (a new session: it has no terminal) with
 * stdin closed, and makes sure nothing of it outlives the run: on timeout, on abort, and also
 * when the leader exits normally, the whole group is stopped, so `sleep 1000 &` and
 * `(sleep 1000)` die with the command instead of holding its output pipes open. (A process that
 * starts its own session with `setsid` escapes the group; the bubblewrap sandbox's pid namespace
 * catches those too.)
 */
export function runProcessGroup(options: ProcessGroupOptions): Promise<ProcessGroupResult> {
  const graceMs = options.killGraceMs ?? 2_000;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(options.file, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const group = child.pid;
    if (group === undefined) {
      // spawn failed (missing program or working directory): 'error' follows.
      child.once('error', reject);
      return;
    }
    installExitHook();
    running.add(group);

    let timedOut = false;
    let aborted = false;
    let stopping = false;
    let stopped = false;
    let closed: { exitCode: number | null; signal: NodeJS.Signals | null } | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    // Settles once the output is complete AND nothing of the group is left running.
    const settle = () => {
      if (!closed || !stopped) return;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      options.signal.removeEventListener('abort', onAbort);
      running.delete(group);
      if (aborted) return reject(options.signal.reason);
      resolve({ ...closed, timedOut, durationMs: Math.round(performance.now() - started) });
    };

    const stop = () => {
      if (stopping) return;
      stopping = true;
      void stopGroup(group, graceMs).then(() => {
        stopped = true;
        // Whatever still holds the pipes now has left the group (setsid): stop waiting for it.
        if (!closed) {
          drainTimer = setTimeout(() => {
            child.stdout.destroy();
            child.stderr.destroy();
          }, 1_000);
        }
        settle();
      });
    };

    const onAbort = () => {
      aborted = true;
      stop();
    };

    const timer = setTimeout(() => {
      // A command that ended just before its time is being cleaned up, not timed out.
      if (stopping) return;
      timedOut = true;
      stop();
    }, options.timeoutMs);

    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', options.onOutput);
    child.stderr.on('data', options.onStderr ?? options.onOutput);
    // Errors after a successful spawn concern signalling, which `send` already handles.
    child.on('error', () => {});
    child.on('exit', stop);
    child.on('close', (exitCode, signal) => {
      closed = { exitCode, signal };
      settle();
    });

    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  });
}
