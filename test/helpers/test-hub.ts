import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createLogger } from '../../src/app/logger.js';
import { loggedTo } from '../../src/app/open-hub.js';
import { createServices, type Services } from '../../src/app/services.js';
import { loadConfig, secretValues, type ConfigOverrides } from '../../src/config/config.js';
import { LogFeed, type LogFeedOptions } from '../../src/logs/log-feed.js';
import { buildServer } from '../../src/server/build-server.js';
import { openPostgresAt, openTestDatabase, type BackendKind, type TestDatabase } from './database.js';
import { tempDir } from './temp-dir.js';

export interface TestHub {
  kind: BackendKind;
  services: Services;
  app: FastifyInstance;
  database: TestDatabase;
  dir: string;
  /** `app.inject` with a JSON body and the parsed JSON answer. */
  call(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** The run once it has ended (polled), or as it is after `timeoutMs`. */
  ended(runId: number, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  body: any;
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

export interface TestHubOptions {
  /** The Logs panel's feed, made with these options (its bound, say). */
  logs?: LogFeedOptions;
  /** The server logs here, and to the feed's server channel, as `wfhub serve` does (silent by default). */
  serverLog?: NodeJS.WritableStream;
}

/** The real server over a private database and private folders, driven in-process. */
export async function createTestHub(kind: BackendKind, overrides: ConfigOverrides = {}, options: TestHubOptions = {}): Promise<TestHub> {
  const { dir, cleanup } = tempDir();
  const config = loadConfig({
    env: {},
    dotenv: false,
    cwd: dir,
    overrides: {
      dataDir: path.join(dir, 'data'),
      workspacesDir: path.join(dir, 'workspaces'),
      ollamaHost: 'http://127.0.0.1:9',
      ...overrides,
    },
  });
  // A given DATABASE_URL is one the test shares with other processes (workers): use it as it is.
  const database = kind === 'postgres' && overrides.databaseUrl ? await openPostgresAt(String(overrides.databaseUrl)) : await openTestDatabase(kind);
  const secrets = secretValues(config);
  const logs = new LogFeed({ secrets, ...options.logs });
  const logger = options.serverLog && createLogger(config.logLevel, options.serverLog, { feed: logs, secrets });
  // What the server's own process logs besides requests (open-hub's wiring).
  const services = createServices(database.db, database.connection, config, { ...(logger && loggedTo(logger)), logs });
  const app = await buildServer(services, { logger });
  return {
    kind,
    services,
    app,
    database,
    dir,
    async call(method, url, body, headers = {}) {
      const raw = await app.inject({
        method,
        url,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        ...(body !== undefined && { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return toAnswer(raw);
    },
    async ended(runId, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = toAnswer(await app.inject({ method: 'GET', url: `/runs/${runId}` })).body;
        if (!['queued', 'running'].includes(run.status) || Date.now() > deadline) return run;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await services.director.stop();
      await services.scheduler.stop();
      await services.trackerSync.stop();
      await services.webhookSender.stop();
      await app.close();
      await services.modelCalls.flush();
      await services.feed.close();
      await database.close();
      cleanup();
    },
  };
}

/** An injected response with its body parsed as JSON when it is JSON. */
export function toAnswer(raw: LightMyRequestResponse): Answer {
  let parsed: unknown;
  try {
    parsed = raw.body ? JSON.parse(raw.body) : undefined;
  } catch {
    parsed = raw.body;
  }
  return { status: raw.statusCode, body: parsed, headers: raw.headers, raw };
}

/** Asserts the one error shape and returns its code. */
export function errorCode(answer: Answer): string {
  const error = answer.body?.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string' || error.message.length === 0) {
    throw new Error(`expected the error shape, got ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return error.code;
}
