import type { Command } from 'commander';
import { createLogger } from '../../app/logger.js';
import { secretValues } from '../../config/config.js';
import { LogFeed } from '../../logs/log-feed.js';
import { startServer } from '../../server/start-server.js';
import { configFrom, type GlobalOptions } from '../options.js';

export function serveCommand(program: Command) {
  program
    .command('serve')
    .description('start the wfhub server (the REST API, the tools API and their docs at /docs)')
    .option('--host <host>', 'address to listen on (WFHUB_HOST)')
    .option('--port <port>', 'port to listen on (WFHUB_PORT)')
    .action(async (options: { host?: string; port?: string }) => {
      const config = configFrom(program.opts<GlobalOptions>(), options);
      // The logger writes every line to the feed too, for the web UI's Logs panel; both hide the secrets.
      const secrets = secretValues(config);
      const logs = new LogFeed({ secrets });
      const logger = createLogger(config.logLevel, process.stdout, { feed: logs, secrets });
      const server = await startServer(config, logger, { logs });
      const database = server.hub.database;
      logger.info(
        { url: server.url, startup_ms: Math.round(performance.now()), data_dir: config.dataDir, database: database.location, workspaces_dir: config.workspacesDir },
        `wfhub listening on ${server.url} (API docs at ${server.url}/docs); data in ${database.location}`,
      );
      const stop = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (error: Error) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
