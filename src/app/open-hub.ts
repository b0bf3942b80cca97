import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { openDatabase, type OpenedDatabase } from '../db/open-database.js';
import { createServices, type Services } from './services.js';

export interface Hub {
  services: Services;
  database: OpenedDatabase;
  close(): Promise<void>;
}

/** Opens the database (migrating it) and wires the services: what every face starts from. */
export async function openHub(config: Config, options: { purpose: string; logger?: Logger }): Promise<Hub> {
  const database = await openDatabase(config, { purpose: options.purpose, logger: options.logger });
  const services = createServices(database.db, database.connection, config, {
    onWarning: (message) => options.logger?.warn(message),
    onError: (error, context) => options.logger?.error({ err: error }, `${context} failed`),
    onRun: (run, message) => options.logger?.info({ run_id: run.id, task_id: run.task_id, status: run.status }, message),
  });
  return {
    services,
    database,
    async close() {
      await services.feed.close();
      await database.close();
    },
  };
}
