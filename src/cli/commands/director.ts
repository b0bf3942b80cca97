import type { Command } from 'commander';
import { openHub } from '../../app/open-hub.js';
import { createLogger } from '../../app/logger.js';
import { secretValues } from '../../config/config.js';
import { configFrom, type GlobalOptions } from '../options.js';

export function directorCommand(program: Command) {
  program
    .command('director')
    .description('take tasks on autopilot through their pipelines, without serving the API (for a server run with WFHUB_DIRECTOR=off; runs are executed by `wfhub serve` or `wfhub worker`)')
    .action(async () => {
      const config = configFrom(program.opts<GlobalOptions>());
      const logger = createLogger(config.logLevel, process.stdout, { secrets: secretValues(config) });
      const hub = await openHub(config, { purpose: 'director', logger });
      hub.services.director.start();
      logger.info({ database: hub.database.location }, `wfhub director taking tasks on autopilot through their pipelines, on ${hub.database.location}`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'director stopping');
        hub.services.director
          .stop()
          .then(() => hub.services.scheduler.stop())
          .then(() => hub.close())
          .then(
            () => process.exit(0),
            (error: Error) => {
              logger.error({ err: error }, 'director shutdown failed');
              process.exit(1);
            },
          );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
