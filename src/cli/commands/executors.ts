import type { Command } from 'commander';
import { version } from '../../app/version.js';
import { installedExecutors } from '../../executors/installed-executors.js';
import { table } from '../format.js';
import { print } from '../run-command.js';

export function executorsCommand(program: Command) {
  program
    .command('executors')
    .description("what a run can be handed to on this machine: wfhub's agent and the coding agents' command lines installed (aider, claude, codex, opencode, gemini)")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const found = await installedExecutors(version);
      print(options.json, found, () => {
        const rows = found.map((executor) => [executor.name, executor.title, executor.installed ? executor.version ?? '' : 'not installed', executor.path ?? '']);
        const hints = found.filter((executor) => !executor.installed).map((executor) => `${executor.name}: ${executor.problem ? `${executor.problem}; ` : ''}install with ${executor.install}`);
        return [table(['NAME', 'TOOL', 'VERSION', 'PATH'], rows), '', ...hints].join('\n');
      });
    });
}
