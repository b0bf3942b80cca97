import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { LogFeed } from '../logs/log-feed.js';
import { openDatabase, type OpenedDatabase } from '../db/open-database.js';
import { createServices, type ServiceOptions, type Services } from './services.js';

export interface Hub {
  services: Services;
  database: OpenedDatabase;
  close(): Promise<void>;
}

export interface OpenHubOptions {
  purpose: string;
  logger?: Logger;
  /** The Logs panel's feed that `logger` writes to, when it does (the server's). */
  logs?: LogFeed;
}

/** What the services tell the operator, as lines of `logger`. */
export function loggedTo(logger: Logger | undefined): Omit<ServiceOptions, 'logs'> {
  return {
    onWarning: (message) => logger?.warn(message),
    onError: (error, context) => logger?.error({ err: error }, `${context} failed`),
    onTrackerSyncFailure: (link, message) => logger?.warn({ task_id: link.task_id, provider: link.provider }, `pushing task ${link.task_id} to ${link.provider} failed, will retry: ${message}`),
    onRun: (run, message) => logger?.info({ run_id: run.id, task_id: run.task_id, status: run.status }, message),
    onDirectorMove: (taskId, message) => logger?.info({ task_id: taskId }, `director: ${message}`),
    onWebhookFailure: (delivery, message, retryAt) =>
      logger?.warn(
        { delivery_id: delivery.id, webhook_id: delivery.webhook_id, event: delivery.event, attempts: delivery.attempts },
        `webhook delivery ${delivery.id} to ${delivery.host} failed (${message}), ${retryAt ? `retrying at ${retryAt.toISOString()}` : 'given up'}`,
      ),
  };
}

/** Opens the database (migrating it) and wires the services: what every face starts from. */
export async function openHub(config: Config, options: OpenHubOptions): Promise<Hub> {
  const database = await openDatabase(config, { purpose: options.purpose, logger: options.logger });
  const services = createServices(database.db, database.connection, config, { ...loggedTo(options.logger), logs: options.logs });
  return {
    services,
    database,
    async close() {
      await services.modelCalls.flush();
      await services.feed.close();
      await database.close();
    },
  };
}
