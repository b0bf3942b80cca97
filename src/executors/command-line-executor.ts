import type { HandOff } from '../agent/hand-off.js';
import type { ExecutorName } from './executor.schema.js';
import { requireInstalled } from './installed-executors.js';
import { runCommandLineAgent } from './run-command-line-agent.js';

/**
 * The executor a run names, ready to be handed the run: a coding agent's command line found on
 * PATH, or a clear error naming how to install it. The built-in agent needs no hand-off.
 */
export function commandLineExecutor(name: Exclude<ExecutorName, 'builtin'>): HandOff {
  const { agent, file } = requireInstalled(name);
  return {
    name,
    needsModel: agent.needsModel,
    run: (input) =>
      runCommandLineAgent({
        agent,
        file,
        input: { prompt: input.prompt, ...(input.model !== undefined && { model: input.model }), ollamaHost: input.ollamaHost, numCtx: input.numCtx },
        dir: input.dir,
        workspace: input.workspace,
        sandbox: input.sandbox,
        timeoutMs: input.timeoutMs,
        signal: input.signal,
        ...(input.onEvent && { onEvent: input.onEvent }),
        warnings: input.warnings,
        filesChanged: input.filesChanged,
      }),
  };
}
