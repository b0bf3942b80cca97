import { z } from 'zod';
import type { SandboxSettings } from './sandbox-settings.js';

/**
 * What a tool is given to run: never a request or a server object, so the same tools serve the
 * agent loop, the `/api/*` routes, the CLI and tests.
 */
export interface ToolContext {
  /** The workspace's real absolute path (symlinks resolved). Every path a tool touches lies inside. */
  readonly root: string;
  /** Cancels the tool: a running command is killed, a long read stops. */
  readonly signal: AbortSignal;
  /** How `bash` runs commands. */
  readonly sandbox: SandboxSettings;
}

/** What a tool returns: text for the model, plus facts the loop and the UI use. */
export interface ToolResult {
  /** What the model reads. Already capped in size by the tool. */
  readonly output: string;
  /** Workspace-relative paths (forward slashes) this call created, changed or deleted. */
  readonly filesChanged?: readonly string[];
  /** Structured details for the UI and the event log (exit code, match count, ...). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * A refusal or failure the model can act on (a path outside the workspace, a missing file, an
 * edit that matched nothing). The loop gives `message` back to the model as the tool's result;
 * the tools API answers it as a 4xx.
 */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    /** Stable machine code: `outside_workspace`, `not_found`, `binary_file`, `no_match`, ... */
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export interface Tool<Parameters extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** What the model is told the tool does. */
  readonly description: string;
  /** One or two lines saying the same, for small context windows. */
  readonly brief: string;
  readonly parameters: Parameters;
  /** JSON Schema of `parameters`, as sent to the model. */
  readonly jsonSchema: Record<string, unknown>;
  /** Validates `input` against `parameters`, then runs. Invalid input throws a ToolError. */
  run(input: unknown, context: ToolContext): Promise<ToolResult>;
}

export interface ToolDefinition<Parameters extends z.ZodType> {
  description: string;
  /** The description in one or two lines, offered instead of it when the window is small. */
  brief: string;
  parameters: Parameters;
  execute(input: z.output<Parameters>, context: ToolContext): Promise<ToolResult>;
}

/**
 * File-system failures that are about the path or file asked for, not about wfhub: they become a
 * ToolError the model can act on (and a 4xx on the tools API) instead of an internal error. The
 * message never repeats the host's absolute path.
 */
const fileSystemFailures: Record<string, [code: string, message: string]> = {
  ELOOP: ['invalid_path', 'The path goes through a symlink loop.'],
  ENAMETOOLONG: ['invalid_path', 'The path, or a name in it, is too long for the file system.'],
  ENOTDIR: ['invalid_path', 'A part of the path is a file, not a folder.'],
  EISDIR: ['is_directory', 'The path is a folder, not a file.'],
  EACCES: ['permission_denied', 'The file system does not allow this on that path.'],
  EPERM: ['permission_denied', 'The file system does not allow this on that path.'],
  EROFS: ['permission_denied', 'That part of the file system is read-only.'],
  ENOSPC: ['disk_full', 'The disk is full.'],
  EMFILE: ['busy', 'Too many files are open at the moment; try again.'],
};

/** Defines a tool whose arguments are validated in one place, with a message a model can act on. */
export function defineTool<Parameters extends z.ZodType>(name: string, definition: ToolDefinition<Parameters>): Tool<Parameters> {
  const jsonSchema = z.toJSONSchema(definition.parameters, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete jsonSchema.$schema;
  return {
    name,
    description: definition.description,
    brief: definition.brief,
    parameters: definition.parameters,
    jsonSchema,
    async run(input, context) {
      const parsed = definition.parameters.safeParse(input ?? {});
      if (!parsed.success) {
        const problems = parsed.error.issues
          .map((issue) => `${issue.path.length ? issue.path.join('.') : 'arguments'}: ${issue.message}`)
          .join('; ');
        throw new ToolError(
          'invalid_arguments',
          `The ${name} tool was called with invalid arguments: ${problems}. Rewrite the input so it satisfies the schema.`,
        );
      }
      context.signal.throwIfAborted();
      try {
        return await definition.execute(parsed.data, context);
      } catch (error) {
        const failure = error instanceof ToolError ? undefined : fileSystemFailures[(error as NodeJS.ErrnoException)?.code ?? ''];
        if (!failure || context.signal.aborted) throw error;
        throw new ToolError(failure[0], `The ${name} tool could not do that: ${failure[1]}`);
      }
    },
  };
}
