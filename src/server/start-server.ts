import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { openHub, type Hub } from '../app/open-hub.js';
import { isLoopbackHost, type Config } from '../config/config.js';
import type { LogFeed } from '../logs/log-feed.js';
import { buildServer } from './build-server.js';

export interface RunningServer {
  app: FastifyInstance;
  hub: Hub;
  url: string;
  close(): Promise<void>;
}

/** Refuses to expose the API beyond this machine without a token. */
export function checkExposure(config: Config): void {
  if (!isLoopbackHost(config.host) && !config.token) {
    throw new Error(
      `Refusing to listen on ${config.host} without a token: anyone who can reach it could run agents on this machine. ` +
        'Set WFHUB_TOKEN (at least 8 characters), or keep WFHUB_HOST=127.0.0.1.',
    );
  }
}

/** `logs` is the feed `logger` writes to (see createLogger), shown by the web UI's Logs panel. */
export async function startServer(config: Config, logger: Logger, options: { logs?: LogFeed } = {}): Promise<RunningServer> {
  checkExposure(config);
  const hub = await openHub(config, { purpose: 'serve', logger, logs: options.logs });
  let app: FastifyInstance;
  try {
    const building = performance.now();
    app = await buildServer(hub.services, { logger });
    logger.debug({ build_ms: Math.round(performance.now() - building) }, 'HTTP server built');
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await hub.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(`Port ${config.port} on ${config.host} is already in use: stop what uses it or set WFHUB_PORT.`);
    }
    if (code === 'ENOTFOUND' || code === 'EADDRNOTAVAIL' || code === 'EAI_AGAIN') {
      throw new Error(`Cannot listen on WFHUB_HOST=${config.host}: no such address on this machine. Use 127.0.0.1, or an address this machine has.`);
    }
    if (code === 'EACCES') {
      throw new Error(`Not allowed to listen on port ${config.port}: ports below 1024 need privileges. Set WFHUB_PORT to 1024 or above.`);
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // A wildcard address is not one a client can call: advertise loopback instead.
  const reachable = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  const host = reachable.includes(':') ? `[${reachable}]` : reachable;
  const url = `http://${host}:${port}`;
  // Files left by an upload that crashed before it was recorded; no request can be using them.
  hub.services.attachments.sweepOrphans().catch((error: Error) => logger.warn({ err: error }, 'attachment sweep failed'));
  try {
    await hub.services.scheduler.start();
  } catch (error) {
    await app.close();
    await hub.close();
    throw new Error(`Cannot start taking runs: ${(error as Error).message}`, { cause: error });
  }
  // Imported tasks' changes go back to their trackers from here on (and what waited, now).
  hub.services.trackerSync.start();
  // Tasks on autopilot go on where they were (WFHUB_DIRECTOR=off leaves them to `wfhub director`).
  if (config.director === 'on') hub.services.director.start();
  // Webhook deliveries that waited (a restart) are sent now, and new ones as they are recorded.
  if (config.webhooks === 'on') hub.services.webhookSender.start();
  // Advertised last: a CLI that finds the address may use everything at once.
  hub.database.lock?.advertise(url);

  let closing: Promise<void> | undefined;
  return {
    app,
    hub,
    url,
    close: () =>
      (closing ??= (async () => {
        try {
          const running = hub.services.scheduler.runningHere;
          if (running > 0 && config.shutdownGrace > 0) {
            logger.info({ running }, `waiting up to ${config.shutdownGrace} s for ${running} running run(s) to finish; the rest will be marked interrupted`);
          }
          // The director first: no stage starts while the runs are being stopped.
          await hub.services.director.stop();
          await hub.services.scheduler.stop({ graceMs: config.shutdownGrace * 1000 });
          await hub.services.trackerSync.stop();
          await hub.services.webhookSender.stop();
          await app.close();
        } finally {
          await hub.close();
        }
      })()),
  };
}
