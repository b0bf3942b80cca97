import type { Command } from 'commander';
import { openHub } from '../../app/open-hub.js';
import { createLogger } from '../../app/logger.js';
import { secretValues } from '../../config/config.js';
import { configFrom, type GlobalOptions } from '../options.js';
import { wholeNumber } from '../run-command.js';

export function workerCommand(program: Command) {
  program
    .command('worker')
    .description('execute queued runs, without serving the API (with DATABASE_URL, on as many machines as you like)')
    .option('-c, --concurrency <n>', 'runs at once (WFHUB_MAX_CONCURRENT_RUNS)', wholeNumber(1, 64))
    .action(async (options: { concurrency?: number }) => {
      const config = configFrom(program.opts<GlobalOptions>(), { maxConcurrentRuns: options.concurrency });
      const logger = createLogger(config.logLevel, process.stdout, { secrets: secretValues(config) });
      const hub = await openHub(config, { purpose: 'worker', logger });
      await hub.services.scheduler.start('worker');
      const workspacesId = await hub.services.workspaces.id();
      logger.info(
        { database: hub.database.location, concurrency: config.maxConcurrentRuns, workspaces_dir: config.workspacesDir, workspaces_id: workspacesId },
        `wfhub worker taking runs from ${hub.database.location} (${config.maxConcurrentRuns} at once), serving the workspaces in ${config.workspacesDir} and projects with a git remote`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'worker stopping');
        hub.services.scheduler
          .stop({ graceMs: config.shutdownGrace * 1000 })
          .then(() => hub.close())
          .then(
            () => process.exit(0),
            (error: Error) => {
              logger.error({ err: error }, 'worker shutdown failed');
              process.exit(1);
            },
          );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
