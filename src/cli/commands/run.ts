import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { AgentEvent } from '../../agent/loop/agent-events.js';
import { maxId } from '../../core/schema-helpers.js';
import { finishedRunStatuses, type Run } from '../../runs/run.schema.js';
import { progressPrinter } from '../agent-progress.js';
import { connect } from '../connect.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { oneOf, wholeNumber, withClient } from '../run-command.js';
import { executorNames, type ExecutorName } from '../../executors/executor.schema.js';

/** The closing lines for a run: outcome, summary, files, usage. */
function runReport(run: Run): string {
  const lines = [
    run.status === 'succeeded' ? 'Done.' : run.status === 'cancelled' ? 'Cancelled.' : `Run ${run.status}: ${run.error?.message ?? 'no reason given'}`,
  ];
  if (run.summary) lines.push('', run.summary);
  if (run.files_changed.length) lines.push('', `Files changed: ${run.files_changed.join(', ')}`);
  lines.push('', `run ${run.id} · ${run.steps} steps · ${run.prompt_tokens} prompt + ${run.completion_tokens} completion tokens`);
  return lines.join('\n');
}

export function runCommand(program: Command) {
  program
    .command('run')
    .description("trigger a task's run and follow it to the end, showing its progress")
    .argument('<task-id>', 'the task to run', wholeNumber(1, maxId))
    .option('-n, --node <name>', "the role for this run (the task's by default)")
    .option('-m, --model <model>', 'the model for this run')
    .option('-e, --executor <name>', `who does the work: ${executorNames.join(', ')} (\`wfhub executors\` lists the installed ones); the role's or the project's setting, else builtin`, oneOf(executorNames))
    .option('--message <text>', 'instructions added to the task for this run')
    .option('--json', 'print every event as a JSON line instead of progress')
    .addHelpText('after', '\nExit codes: 0 when the run succeeded, 1 when it failed or was interrupted, 130 when stopped with Ctrl-C (the run is cancelled).')
    .action(async (id: number, options: { node?: string; model?: string; executor?: ExecutorName; message?: string; json?: boolean }) => {
      const config = configFrom(program.opts<GlobalOptions>());
      await withClient(connect(config), async (client) => {
        let run = await client.triggerRun(id, {
          ...(options.node && { node: options.node }),
          ...(options.model && { model: options.model }),
          ...(options.executor && { executor: options.executor }),
          ...(options.message && { message: options.message }),
        });
        process.stderr.write(`run ${run.id} queued for task ${id}${client.via.startsWith('the wfhub server') ? ` on ${client.via}` : ''}\n`);
        let interrupted = false;
        const onInterrupt = () => {
          if (interrupted) process.exit(130);
          interrupted = true;
          process.stderr.write('\nCancelling the run (Ctrl-C again to quit at once)…\n');
          client.cancelRun(run.id).catch(() => undefined);
        };
        process.on('SIGINT', onInterrupt);
        const progress = progressPrinter(process.stderr);
        let after = 0;
        try {
          for (;;) {
            // The status first: once it says ended, the events read after it are complete.
            run = await client.getRun(run.id);
            const events = await client.runEvents(run.id, after);
            for (const event of events) {
              after = event.seq;
              if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
              else progress(event.data as unknown as AgentEvent);
            }
            if (finishedRunStatuses.includes(run.status) && events.length === 0) break;
            if (events.length === 0) await sleep(300);
          }
        } finally {
          process.off('SIGINT', onInterrupt);
        }
        if (!options.json) process.stdout.write(`${runReport(run)}\n`);
        process.exitCode = run.status === 'succeeded' ? 0 : run.status === 'cancelled' ? 130 : 1;
      });
    });
}
