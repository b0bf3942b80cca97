import { execFile } from 'node:child_process';
import { findOnPath } from '../agent/tools/sandbox.js';
import { UnprocessableError } from '../core/errors.js';
import { commandLineAgents, type CommandLineAgent } from './command-line-agents.js';
import { executorNames, type ExecutorName } from './executor.schema.js';

/** One executor as `wfhub executors` and `GET /executors` show it. */
export interface ExecutorStatus {
  name: ExecutorName;
  title: string;
  installed: boolean;
  /** What `--version` printed, first line, when installed. */
  version: string | null;
  /** Where the program is, when installed. */
  path: string | null;
  /** How to install it, when it is not. */
  install: string | null;
  /** Why it cannot be used though it is on PATH (its --version failed), when so. */
  problem?: string;
}

/** The first line `<program> --version` prints, or why there is none (5 s at most). */
function versionOf(file: string): Promise<{ version: string } | { problem: string }> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: 5_000, maxBuffer: 64 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const line = `${stdout}`.trim().split('\n')[0]?.trim() || `${stderr}`.trim().split('\n')[0]?.trim() || '';
      if (error) resolve({ problem: `\`${file} --version\` failed: ${line || error.message}` });
      else resolve({ version: line || 'unknown' });
    });
  });
}

/** What this machine has of one command-line agent. */
async function statusOf(agent: CommandLineAgent): Promise<ExecutorStatus> {
  const file = findOnPath(agent.command);
  const base = { name: agent.name, title: agent.title };
  if (!file) return { ...base, installed: false, version: null, path: null, install: agent.install };
  const found = await versionOf(file);
  if ('problem' in found) return { ...base, installed: false, version: null, path: file, install: agent.install, problem: found.problem };
  return { ...base, installed: true, version: found.version, path: file, install: null };
}

/** Every executor and whether it can run here: the built-in agent always can. */
export async function installedExecutors(version: string): Promise<ExecutorStatus[]> {
  const others = await Promise.all(Object.values(commandLineAgents).map(statusOf));
  return [{ name: 'builtin', title: 'wfhub agent', installed: true, version, path: null, install: null }, ...others];
}

/** Whether `name` names an executor, for input checks. */
export function isExecutorName(name: string): name is ExecutorName {
  return (executorNames as readonly string[]).includes(name);
}

/** The command-line agent a run asked for, found on PATH; a clear error naming how to install it otherwise. */
export function requireInstalled(name: Exclude<ExecutorName, 'builtin'>): { agent: CommandLineAgent; file: string } {
  const agent = commandLineAgents[name];
  const file = findOnPath(agent.command);
  if (!file) {
    throw new UnprocessableError(
      'executor_not_installed',
      `The ${name} executor needs ${agent.title} (\`${agent.command}\`), which is not on this machine's PATH. Install it: ${agent.install}; or run the task with another executor (GET /executors lists the installed ones).`,
      { executor: name, install: agent.install },
    );
  }
  return { agent, file };
}
