import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentEvent, AgentEventMap, AgentEventSink, AgentEventType } from '../agent/loop/agent-events.js';
import type { AgentResult } from '../agent/loop/agent-result.js';
import { runProcessGroup } from '../agent/tools/process-group.js';
import { commandEnvironment, sandboxCommand } from '../agent/tools/sandbox.js';
import type { SandboxSettings } from '../agent/tools/sandbox-settings.js';
import type { AgentInvocation, CommandLineAgent } from './command-line-agents.js';
import type { ExecutorEvent } from './executor.js';
import { programMounts } from './program-mounts.js';

export interface CommandLineRun {
  agent: CommandLineAgent;
  /** The program's absolute path. */
  file: string;
  input: Omit<AgentInvocation, 'scratchDir'>;
  /** Where it works: the run's checkout, its working directory and the only folder it may change. */
  dir: string;
  /** The workspace as the run names it, for the record. */
  workspace: string;
  /** How the run's commands are isolated; the network is let through (the tool must reach its model). */
  sandbox: SandboxSettings;
  timeoutMs: number;
  signal?: AbortSignal;
  onEvent?: AgentEventSink;
  /** Told as warnings at the start. */
  warnings?: readonly { code: string; message: string }[];
  /** What the run changed, as git sees it, once the tool has ended (none known without it). */
  filesChanged?: () => Promise<string[]>;
}

/** POSIX shell quoting of one argument. */
function quote(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}

/** The last `limit` characters of what a stream said, kept as it arrives. */
function tail(limit: number) {
  let text = '';
  return {
    add(chunk: string) {
      text = (text + chunk).slice(-limit);
    },
    get text() {
      return text.trim();
    },
  };
}

/**
 * Runs a coding agent's command line on a task in the run's checkout, inside the sandbox (the
 * checkout writable, the tool's own folders under home visible, wfhub's data and secrets not),
 * and reads its output into the same events the built-in agent tells. The whole process tree is
 * stopped on cancel and on timeout. What the run changed is read by git afterwards, whatever the tool did.
 */
export async function runCommandLineAgent(run: CommandLineRun): Promise<AgentResult> {
  const started = performance.now();
  const { agent } = run;
  let seq = 0;
  const emit = async <Type extends AgentEventType>(type: Type, data: AgentEventMap[Type]) => {
    await run.onEvent?.({ type, seq: ++seq, at: new Date().toISOString(), ...data } as AgentEvent);
  };
  // The tool's own default when none is named: it does not always say which.
  const model = run.input.model ?? `${agent.title} default`;
  const scratchDir = await mkdtemp(path.join(tmpdir(), `wfhub-${agent.name}-`));
  try {
    const invocation = agent.invocation({ ...run.input, scratchDir });
    for (const [name, content] of Object.entries(invocation.files ?? {})) await writeFile(path.join(scratchDir, name), content, { mode: 0o600 });
    const home = homedir();
    const own = agent.homeFolders.map((folder) => path.join(home, folder)).filter((folder) => existsSync(folder));
    const settings: SandboxSettings = {
      ...run.sandbox,
      allowNetwork: true,
      extraMounts: [
        ...(run.sandbox.extraMounts ?? []),
        ...programMounts(run.file, home).map((folder) => ({ path: folder, writable: false })),
        { path: scratchDir, writable: false },
        ...own.map((folder) => ({ path: folder, writable: true })),
      ],
    };
    const root = realpathSync(run.dir);
    const command = await sandboxCommand([run.file, ...invocation.args].map(quote).join(' '), { root, settings });
    const env = commandEnvironment(settings, { sandboxed: command.sandboxed });
    for (const name of agent.passVariables) if (process.env[name] !== undefined) env[name] = process.env[name];
    Object.assign(env, invocation.env);

    await emit('run.started', { model, provider: agent.name, executor: agent.name, workspace: run.workspace, protocol: 'native', num_ctx: agent.name === 'aider' ? run.input.numCtx : 0, tools: [], prompt: run.input.prompt });
    for (const warning of [...(command.warning ? [{ code: 'no_sandbox', message: command.warning }] : []), ...(run.warnings ?? [])]) {
      await emit('run.warning', { step: 0, ...warning });
    }

    const reader = agent.reader();
    const stderr = tail(4_000);
    let pending = '';
    // Events are told in order, each awaited: a slow sink slows the reading, nothing is lost.
    let telling: Promise<void> = Promise.resolve();
    // The tools rarely time their steps: a call lasts from its line to its result's, a model turn
    // from the previous turn's end (or the start) to its response.
    const calledAt = new Map<string, number>();
    let turnFrom = performance.now();
    const timed = (event: ExecutorEvent): ExecutorEvent => {
      const now = performance.now();
      if (event.type === 'tool.called') calledAt.set(event.call_id, now);
      if (event.type === 'tool.result' && !event.duration_ms) {
        const from = calledAt.get(event.call_id);
        if (from !== undefined) return { ...event, duration_ms: Math.round(now - from) };
      }
      if (event.type === 'llm.response') {
        const from = turnFrom;
        turnFrom = now;
        if (!event.duration_ms) return { ...event, duration_ms: Math.round(now - from) };
      }
      if (event.type === 'tool.result') turnFrom = now;
      return event;
    };
    const tell = (line: string) => {
      const events = reader.line(line).map(timed);
      telling = telling.then(async () => {
        for (const { type, ...data } of events) await emit(type, data as never);
      });
    };
    let outcome: { exitCode: number | null; signal: NodeJS.Signals | null; timedOut: boolean } | undefined;
    let cancelled = false;
    try {
      outcome = await runProcessGroup({
        file: command.file,
        args: command.args,
        cwd: root,
        env,
        timeoutMs: run.timeoutMs,
        signal: run.signal ?? new AbortController().signal,
        onOutput: (text) => {
          pending += text;
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            tell(pending.slice(0, newline).replace(/\r$/, ''));
            pending = pending.slice(newline + 1);
          }
        },
        onStderr: (text) => stderr.add(text),
      });
    } catch (error) {
      if (!run.signal?.aborted) throw error;
      cancelled = true;
    }
    if (pending) tell(pending);
    await telling;
    const said = reader.end();
    const filesChanged = (await run.filesChanged?.()) ?? [];
    const usage = { prompt_tokens: said.prompt_tokens, completion_tokens: said.completion_tokens, steps: said.steps, tool_calls: said.tool_calls, duration_ms: Math.round(performance.now() - started) };
    const ended = (status: AgentResult['status'], code: string, message: string): AgentResult => ({
      status,
      stop: { code, message },
      summary: said.summary,
      files_changed: filesChanged,
      usage,
      model: said.model ?? model,
      provider: agent.name,
    });
    let result: AgentResult;
    if (cancelled) result = ended('cancelled', 'cancelled', run.signal?.reason instanceof Error ? run.signal.reason.message : 'The run was cancelled.');
    else if (outcome?.timedOut) result = ended('failed', 'time_limit', `${agent.title} did not finish within ${Math.round(run.timeoutMs / 1000)} s and was stopped.`);
    else if (outcome?.exitCode === 0 && said.ok) result = ended('succeeded', 'finished', `${agent.title} finished.`);
    else {
      const lastWords = stderr.text.split('\n').slice(-5).join('\n');
      if (outcome?.exitCode === 0) {
        // It exited as if done, yet said it failed, or never said it was done.
        const why = said.error ?? (lastWords ? `its output ended without a result; it said: ${lastWords}` : 'its output ended without a result');
        result = ended('failed', 'executor_failed', `${agent.title} reported a failure: ${why}`);
      } else {
        const how = outcome?.exitCode === null || outcome?.exitCode === undefined ? `was ended by ${outcome?.signal ?? 'a signal'}` : `exited with code ${outcome.exitCode}`;
        result = ended('failed', 'executor_failed', `${agent.title} ${how}: ${said.error ?? (lastWords || 'it gave no reason')}`);
      }
    }
    await emit(result.status === 'succeeded' ? 'run.finished' : 'run.failed', { result });
    return result;
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}
