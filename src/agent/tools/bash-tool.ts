import { z } from 'zod';
import { changedFiles, snapshotFiles } from './file-changes.js';
import { capText, saveFullOutput } from './output-limit.js';
import { runProcessGroup } from './process-group.js';
import { commandEnvironment, sandboxCommand } from './sandbox.js';
import { defineTool, ToolError, type Tool } from './tool.js';

/** Characters of output the model sees: the head and the tail of anything longer. */
export const bashOutputLimit = 30_000;
export const defaultTimeoutSeconds = 120;
export const maxTimeoutSeconds = 600;
/**
 * Characters of a command's output kept in memory for the saved file. Beyond this (`yes`, a
 * runaway log) only a rolling tail is kept, so one command cannot exhaust wfhub's memory.
 */
const retainedLimit = 8_000_000;

const description = `Runs a shell command with bash in the workspace folder and returns its output (stdout and stderr together) and exit code.
- Each call starts a fresh shell: \`cd\` and variables do not carry over. Use relative paths from the workspace root.
- Nothing can be typed into the command (stdin is closed): use non-interactive flags (-y, --yes, --no-edit).
- The command is killed after \`timeout\` seconds (default ${defaultTimeoutSeconds}, at most ${maxTimeoutSeconds}), together with everything it started. Processes left in the background are stopped when the command ends, so do not start servers and expect them to keep running.
- Output over ${bashOutputLimit.toLocaleString('en-US')} characters is cut to its beginning and end; the full output is saved to a file whose path is given, which you can read or grep.
- The command may run in a sandbox where only the workspace and /tmp are writable and the network is off.
- Prefer the read, grep, glob, edit and write tools for looking at and changing files.`;

const parameters = z.object({
  command: z
    .string()
    .refine((command) => command.trim() !== '', 'the command is empty')
    .describe('The bash command to run, e.g. "npm test" or "ls -la src".'),
  timeout: z
    .number()
    .gt(0, 'must be a positive number of seconds')
    .max(maxTimeoutSeconds, `must be at most ${maxTimeoutSeconds} seconds; split long work into shorter commands`)
    .optional()
    .describe(`Seconds before the command is killed. Default ${defaultTimeoutSeconds}, at most ${maxTimeoutSeconds}.`),
});

/**
 * Keeps a command's output in arrival order, bounded: the first `retainedLimit` characters, then
 * only a rolling tail of what follows.
 */
class OutputCollector {
  private readonly chunks: string[] = [];
  private retained = 0;
  private dropped = 0;
  private tail = '';

  readonly add = (text: string): void => {
    const room = retainedLimit - this.retained;
    if (text.length <= room) {
      this.chunks.push(text);
      this.retained += text.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(text.slice(0, room));
      this.retained = retainedLimit;
    }
    const rest = room > 0 ? text.slice(room) : text;
    this.dropped += rest.length;
    this.tail += rest;
    if (this.tail.length > 2 * bashOutputLimit) this.tail = this.tail.slice(-bashOutputLimit);
  };

  /** Everything kept, with a marker where the middle was not. */
  text(): string {
    const head = this.chunks.join('');
    if (this.dropped === 0) return head;
    const tail = this.tail.slice(-bashOutputLimit);
    const lost = this.dropped - tail.length;
    return lost > 0 ? `${head}\n\n[... ${lost} characters were not kept ...]\n\n${tail}` : head + tail;
  }

  /** Characters the command printed in all. */
  get length(): number {
    return this.retained + this.dropped;
  }
}

function footer(result: { exitCode: number | null; signal: string | null; timedOut: boolean }, timeoutSeconds: number): string {
  if (result.timedOut) {
    return `(killed after ${timeoutSeconds} s timeout; the whole process group was stopped. Give a larger timeout, at most ${maxTimeoutSeconds} s, or do less in one command.)`;
  }
  if (result.exitCode !== null) return `(exit code ${result.exitCode})`;
  return `(killed by signal ${result.signal ?? 'unknown'})`;
}

export interface BashToolOptions {
  /** Called with the one-time warning when `auto` finds no working bubblewrap and runs commands directly. */
  readonly onSandboxWarning?: (message: string) => void;
  /** The bubblewrap executable (name on PATH or path); `bwrap` by default. */
  readonly bubblewrap?: string;
  /** Time between SIGTERM and SIGKILL when stopping a command. */
  readonly killGraceMs?: number;
}

/**
 * `bash {command, timeout?}`: runs in the workspace, in the sandbox the context's settings ask
 * for, with wfhub's secrets removed from the environment. A non-zero exit is a normal result
 * (the model needs the output); only a command that cannot start is a ToolError.
 */
export function createBashTool(options: BashToolOptions = {}): Tool<typeof parameters> {
  return defineTool('bash', {
    description,
    brief: 'Runs a shell command in the workspace and returns its output and exit code.',
    parameters,
    async execute(input, context) {
      const timeoutSeconds = input.timeout ?? defaultTimeoutSeconds;
      const program = await sandboxCommand(input.command, {
        root: context.root,
        settings: context.sandbox,
        ...(options.bubblewrap ? { bubblewrap: options.bubblewrap } : {}),
      });
      if (program.warning) options.onSandboxWarning?.(program.warning);

      // Taken before and after, so the files a command wrote are reported like the file tools'.
      const before = await snapshotFiles(context.root, context.signal).catch(() => undefined);
      const output = new OutputCollector();
      let result;
      try {
        result = await runProcessGroup({
          file: program.file,
          args: program.args,
          cwd: context.root,
          env: commandEnvironment(context.sandbox, { sandboxed: program.sandboxed }),
          timeoutMs: timeoutSeconds * 1000,
          signal: context.signal,
          onOutput: output.add,
          ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
        });
      } catch (error) {
        if (context.signal.aborted) throw error;
        throw new ToolError('command_failed_to_start', `The command could not be started: ${(error as Error).message}.`, {
          sandboxed: program.sandboxed,
        });
      }

      const full = output.text();
      let body = full;
      let fullOutputPath: string | undefined;
      let saveProblem: string | undefined;
      if (full.length > bashOutputLimit) {
        try {
          fullOutputPath = await saveFullOutput(context.root, 'bash', full);
        } catch (error) {
          saveProblem = (error as Error).message;
        }
        const note = fullOutputPath ? `full output in ${fullOutputPath}` : 'the full output could not be saved';
        body = capText(full, bashOutputLimit, note).text;
      }
      const lines = [footer(result, timeoutSeconds)];
      if (fullOutputPath) {
        lines.push(`(output cut to its beginning and end: ${output.length} characters in all; the full output is in ${fullOutputPath}, read or grep it)`);
      }
      const text = body === '' ? '(no output)\n' : body.endsWith('\n') ? body : `${body}\n`;

      const after = before && !context.signal.aborted ? await snapshotFiles(context.root, context.signal).catch(() => undefined) : undefined;
      return {
        output: text + lines.join('\n'),
        ...(before && after ? { filesChanged: changedFiles(before, after) } : {}),
        metadata: {
          exitCode: result.exitCode,
          signal: result.signal,
          timedOut: result.timedOut,
          durationMs: result.durationMs,
          sandboxed: program.sandboxed,
          outputLength: output.length,
          ...(fullOutputPath ? { fullOutputPath } : {}),
          ...(saveProblem ? { saveProblem } : {}),
          ...(program.warning ? { sandboxWarning: program.warning } : {}),
        },
      };
    },
  });
}

export const bashTool = createBashTool();
