import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readLock } from '../../src/db/data-dir-lock.js';

export const binPath = path.resolve(import.meta.dirname, '../../bin/wfhub.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a CLI run in `dir`: nothing from the developer's own wfhub settings leaks in. */
export function cliEnvironment(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, ...extra };
  return environment;
}

/** Runs the built `wfhub` command to completion, with `input` on its stdin when given. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: options.cwd,
      env: cliEnvironment(options.cwd, options.env),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `wfhub serve` on a free port and waits until its lock advertises where it listens. */
export async function startServe(options: { cwd: string; env?: Record<string, string>; dataDir?: string }): Promise<ServerProcess> {
  const child = spawn(process.execPath, [binPath, 'serve', '--port', '0'], {
    cwd: options.cwd,
    env: cliEnvironment(options.cwd, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const dataDir = options.dataDir ?? path.join(options.cwd, '.wfhub');
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    if (child.exitCode !== null) throw new Error(`wfhub serve exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`wfhub serve did not start within 60 s:\n${output}`);
    const lock = readLock(dataDir);
    if (lock && lock.pid === child.pid && lock.url) url = lock.url;
    else if (options.env?.DATABASE_URL) {
      const match = /wfhub listening on (http:\/\/\S+)/.exec(output);
      if (match) url = match[1];
    }
    await sleep(50);
  }
  return {
    child,
    url,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A raw HTTP request, so a test can send exactly what curl sends (curl -d sets a form content-type). */
export function rawRequest(
  url: string,
  options: { method: string; body?: string; headers?: Record<string, string> },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: options.method, headers: options.headers ?? {} }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    outgoing.on('error', reject);
    if (options.body !== undefined) outgoing.write(options.body);
    outgoing.end();
  });
}

/** Starts `wfhub worker` in `cwd` and resolves once it says it is taking runs. */
export function startWorker(cwd: string, env: Record<string, string>, args: string[] = []): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [binPath, 'worker', ...args], { cwd, env: cliEnvironment(cwd, env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('taking runs')) {
        clearInterval(timer);
        resolve({ child, output: () => output });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`wfhub worker exited: ${output}`));
      }
    }, 50);
  });
}
