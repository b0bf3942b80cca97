import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { isInside } from '../../workspace/workspace-root.js';
import { progressPrinter, resultReport } from '../agent-progress.js';
import { connect } from '../connect.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { interruptible, withClient } from '../run-command.js';

/**
 * `--workspace` takes a path (`./workspaces/poc`) or a name under the workspaces dir (`poc`); both
 * end up as the name the API takes, so the run is the same with or without a server running.
 */
export function workspaceName(value: string, config: Config, cwd = process.cwd()): string {
  const asPath = path.resolve(cwd, value);
  const looksLikePath = value.startsWith('.') || path.isAbsolute(value) || existsSync(asPath);
  if (!looksLikePath) return value;
  if (!isInside(config.workspacesDir, asPath) || asPath === config.workspacesDir) {
    throw new Error(
      `${value} is not inside the workspaces folder (${config.workspacesDir}). Put the project there, or point WFHUB_WORKSPACES_DIR (or --workspaces-dir) at its parent.`,
    );
  }
  return path.relative(config.workspacesDir, asPath).split(path.sep).join('/');
}

export function agentCommand(program: Command) {
  program
    .command('agent <message...>')
    .description('run the agent on a message in a workspace, showing its progress')
    .requiredOption('-w, --workspace <path|name>', 'the workspace folder, e.g. ./workspaces/poc or poc (created if missing)')
    .option('-m, --model <model>', "the model; by default the role's, else the project's, else WFHUB_MODEL")
    .option('-n, --node <name>', 'the role to play: dev, qa, pm, security, documentation')
    .option('--json', 'print every event as a JSON line instead of progress')
    .addHelpText(
      'after',
      '\nThe model server is OLLAMA_HOST (or OPENAI_BASE_URL with WFHUB_LLM_PROVIDER=openai).\n' +
        'Exit codes: 0 when the agent finished, 1 when the run failed, 130 when stopped with Ctrl-C.',
    )
    .action(async (words: string[], options: { workspace: string; model?: string; node?: string; json?: boolean }) => {
      const config = configFrom(program.opts<GlobalOptions>());
      const workspace = workspaceName(options.workspace, config);
      const progress = progressPrinter(process.stderr);
      await interruptible('Stopping the run', async (signal) => {
        try {
          await withClient(connect(config), async (client) => {
            // Through a running server, the server's settings (model server, default model) apply.
            if (client.via.startsWith('the wfhub server') && !options.json) process.stderr.write(`running on ${client.via}, with its settings\n`);
            const result = await client.runAgent(
              { message: words.join(' '), workspace, ...(options.model && { model: options.model }), ...(options.node && { node: options.node }) },
              {
                signal,
                onEvent: (event) => {
                  if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
                  else progress(event);
                },
              },
            );
            if (!options.json) process.stdout.write(`${resultReport(result, process.stdout.isTTY)}\n`);
            process.exitCode = result.status === 'succeeded' ? 0 : result.status === 'cancelled' ? 130 : 1;
          });
        } catch (error) {
          // Through a server, Ctrl-C closes the connection (which cancels the run there) and the
          // stream ends in an error here: the outcome is the same as a local cancel.
          if (!signal.aborted) throw error;
          process.stdout.write('Cancelled.\n');
          process.exitCode = 130;
        }
      });
    });
}
