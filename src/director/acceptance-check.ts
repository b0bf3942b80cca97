import { runProcessGroup } from '../agent/tools/process-group.js';
import { commandEnvironment, sandboxCommand } from '../agent/tools/sandbox.js';
import { ToolError } from '../agent/tools/tool.js';
import type { GateCommandOptions } from './gate-command-options.js';

export type CheckKind = 'command' | 'http';

/** One acceptance check's outcome, recorded as evidence by the qa stage. */
export interface CheckResult {
  kind: CheckKind;
  /** The check as written. */
  check: string;
  passed: boolean;
  /** A command's exit code; null when it was killed (signal, timeout) and for an HTTP probe. */
  exit_code: number | null;
  /** The status an HTTP probe was answered with; null for a command and when nothing answered. */
  http_status: number | null;
  timed_out: boolean;
  duration_ms: number;
  /**
   * A command: the last characters of its output (stdout and stderr interleaved), then a line
   * saying why it was killed if it was. A probe: the status line and the start of the body, or
   * why the server could not be reached.
   */
  output_tail: string;
  /** Whether bubblewrap isolated the command; always false for a probe, made from wfhub itself. */
  sandboxed: boolean;
  /** Why the check could not run at all: a command that did not start, no sandbox, a bad URL. */
  error?: string;
}

export type CheckOptions = GateCommandOptions;

/** Characters of a command's output kept for the evidence: failures show at the end. */
export const outputTailLimit = 4_000;
/** Characters of a probe's body kept: enough for an error page's message. */
export const bodyStartLimit = 2_000;
/** An HTTP probe waits at most this long, whatever the check timeout: a health URL answers fast or not at all. */
const maxProbeMs = 60_000;
const maxRedirects = 5;
/** Output held in memory before it is cut back to the tail, so `yes` costs nothing. */
const rollingLimit = 64_000;

const probePattern = /^(?:(GET|HEAD)\s+)?(https?:\/\/\S+)$/i;

/**
 * Whether a probe may call this host. A probe is sent by wfhub itself, outside the sandbox: where
 * the project keeps commands off the network (settings.allow_network), it may only reach this
 * machine, so a criterion cannot make wfhub fetch from the network (a cloud metadata address,
 * say) and hand the answer to a model.
 */
function reachable(url: URL, network: boolean): boolean {
  if (network) return true;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function unreachableReason(url: URL): string {
  return `${url.href} is not on this machine, and the project keeps commands off the network: a probe may only call localhost, 127.0.0.1 or ::1 unless the project's settings allow the network (allow_network).`;
}

/** `http(s)://...`, `GET <url>` and `HEAD <url>` are HTTP probes; anything else is a shell command. */
export function checkKind(check: string): CheckKind {
  return probePattern.test(check.trim()) ? 'http' : 'command';
}

/**
 * Runs one acceptance check. A check that fails, times out or cannot run is a result with
 * `passed: false`, never an error: the qa stage records it as evidence either way. Only an
 * abort of `options.signal` rejects, with the signal's reason.
 */
export async function runCheck(check: string, options: CheckOptions): Promise<CheckResult> {
  options.signal.throwIfAborted();
  return checkKind(check) === 'http' ? probe(check, options) : runCommand(check, options);
}

function secondsText(milliseconds: number): string {
  return `${Math.round(milliseconds / 100) / 10} s`;
}

/** PostgreSQL text cannot hold NUL, and a binary output must not make the evidence unstorable. */
function storable(text: string): string {
  return text.replaceAll('\u0000', '');
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

async function runCommand(check: string, options: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const base = { kind: 'command' as const, check, http_status: null };
  const notRun = (error: string, sandboxed: boolean): CheckResult => ({
    ...base,
    passed: false,
    exit_code: null,
    timed_out: false,
    duration_ms: elapsed(started),
    output_tail: error,
    sandboxed,
    error,
  });
  if (check.trim() === '') return notRun('The check is empty: write a shell command or an http(s) URL.', false);

  let program;
  try {
    program = await sandboxCommand(check, {
      root: options.dir,
      settings: options.sandbox,
      ...(options.bubblewrap ? { bubblewrap: options.bubblewrap } : {}),
    });
  } catch (error) {
    if (error instanceof ToolError) return notRun(error.message, false);
    throw error;
  }
  if (program.warning) options.onSandboxWarning?.(program.warning);

  let tail = '';
  let result;
  try {
    result = await runProcessGroup({
      file: program.file,
      args: program.args,
      cwd: options.dir,
      env: commandEnvironment(options.sandbox, { sandboxed: program.sandboxed }),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onOutput: (text) => {
        tail += text;
        if (tail.length > rollingLimit) tail = tail.slice(-outputTailLimit);
      },
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    return notRun(`The command could not be started: ${(error as Error).message}.`, program.sandboxed);
  }

  let output = tail.slice(-outputTailLimit);
  const killed = result.timedOut
    ? `(killed after ${secondsText(options.timeoutMs)} timeout; the whole process group was stopped)`
    : result.exitCode === null
      ? `(killed by signal ${result.signal ?? 'unknown'})`
      : undefined;
  if (killed) output += `${output === '' || output.endsWith('\n') ? '' : '\n'}${killed}`;
  return {
    ...base,
    passed: !result.timedOut && result.exitCode === 0,
    exit_code: result.exitCode,
    timed_out: result.timedOut,
    duration_ms: result.durationMs,
    output_tail: storable(output),
    sandboxed: program.sandboxed,
  };
}

/** The reason a fetch failed, from undici's "fetch failed" down to the socket's error. */
function failureReason(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    // Several addresses tried (IPv6 and IPv4 for localhost): each one's refusal is the reason.
    if (current instanceof AggregateError && current.errors.length > 0) {
      parts.push([...new Set(current.errors.map((inner) => (inner instanceof Error ? inner.message : String(inner))))].join('; '));
      break;
    }
    if (current.message) parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ') || String(error);
}

/** The body's first characters; the rest is never downloaded. */
async function bodyStart(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < bodyStartLimit) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, bodyStartLimit);
}

function isRedirect(status: number): boolean {
  return [301, 302, 303, 307, 308].includes(status);
}

/**
 * An HTTP probe, made from wfhub's process. Redirects are followed by hand, as fetch cannot be
 * told to stop after a few, and the method stays as written (a HEAD probe never downloads).
 */
async function probe(check: string, options: CheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const [, written, address] = probePattern.exec(check.trim()) ?? [];
  const method = (written ?? 'GET').toUpperCase();
  const base = { kind: 'http' as const, check, exit_code: null, sandboxed: false };
  const failed = (reason: string, fields: { http_status?: number | null; timed_out?: boolean; error?: string } = {}): CheckResult => ({
    ...base,
    passed: false,
    http_status: fields.http_status ?? null,
    timed_out: fields.timed_out ?? false,
    duration_ms: elapsed(started),
    output_tail: storable(reason),
    ...(fields.error ? { error: fields.error } : {}),
  });

  let url: URL;
  try {
    url = new URL(address ?? '');
  } catch {
    const reason = `${address} is not a valid URL.`;
    return failed(reason, { error: reason });
  }

  if (!reachable(url, options.sandbox.allowNetwork)) return failed(unreachableReason(url));

  const probeMs = Math.min(options.timeoutMs, maxProbeMs);
  const deadline = AbortSignal.timeout(probeMs);
  const signal = AbortSignal.any([options.signal, deadline]);
  try {
    let response = await fetch(url, { method, redirect: 'manual', signal });
    for (let redirects = 0; isRedirect(response.status) && response.headers.has('location'); redirects += 1) {
      await response.body?.cancel();
      if (redirects === maxRedirects) {
        return failed(`HTTP ${response.status}: more than ${maxRedirects} redirects, the last from ${url.href}`, { http_status: response.status });
      }
      const next = new URL(response.headers.get('location') ?? '', url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return failed(`HTTP ${response.status}: ${url.href} redirects to ${next.href}, which is not http(s)`, { http_status: response.status });
      }
      if (!reachable(next, options.sandbox.allowNetwork)) return failed(`HTTP ${response.status}: redirected: ${unreachableReason(next)}`, { http_status: response.status });
      url = next;
      response = await fetch(url, { method, redirect: 'manual', signal });
    }
    const statusLine = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    const body = await bodyStart(response);
    return {
      ...base,
      passed: response.status >= 200 && response.status < 300,
      http_status: response.status,
      timed_out: false,
      duration_ms: elapsed(started),
      output_tail: storable(body === '' ? statusLine : `${statusLine}\n${body}`),
    };
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    if (deadline.aborted) return failed(`No complete answer from ${url.href} within ${secondsText(probeMs)}.`, { timed_out: true });
    return failed(`Could not reach ${url.href}: ${failureReason(error)}`);
  }
}
