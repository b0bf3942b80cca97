import pino, { type Logger } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import { secretHider } from '../core/hide-secrets.js';
import type { LogFeed } from '../logs/log-feed.js';
import type { LogLevel } from '../logs/log.schema.js';

export interface LoggerOptions {
  /** Every line is also written to this feed's server channel (the web UI's Logs panel). */
  feed?: LogFeed;
  /** Values hidden wherever they appear in a line (a token sent in a query string, say). */
  secrets?: readonly (string | undefined)[];
}

/** pino's numbered levels, as the feed names them. */
function feedLevel(level: unknown): LogLevel {
  if (typeof level !== 'number') return 'info';
  if (level >= 50) return 'error';
  if (level >= 40) return 'warn';
  if (level >= 30) return 'info';
  return 'debug';
}

/** Fields every line has, which the feed's entry says its own way (or not at all). */
const lineFields = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/**
 * A destination that turns each line into an entry of the feed's server channel. Lines reach it
 * after pino's redaction and the hiding of secrets, exactly as they reach the log output.
 */
function feedDestination(feed: LogFeed): { write(line: string): boolean } {
  return {
    write(line: string) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        feed.append('server', 'info', line.trimEnd());
        return true;
      }
      const data = Object.fromEntries(Object.entries(parsed).filter(([key]) => !lineFields.has(key)));
      const message = typeof parsed.msg === 'string' ? parsed.msg : '';
      feed.append('server', feedLevel(parsed.level), message, Object.keys(data).length ? data : undefined);
      return true;
    },
  };
}

/** JSON lines when the output is a pipe or a file (for log tools); readable lines on a terminal. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout, options: LoggerOptions = {}): Logger {
  const redact = ['req.headers.authorization', '*.token', '*.password', '*.api_key'];
  const hide = secretHider(options.secrets ?? []);
  // Redaction knows fields; a secret in free text (a URL, an error message) is hidden from the line itself.
  const hooks = { streamWrite: hide };
  let output: pino.DestinationStream = destination;
  if ((destination as NodeJS.WriteStream).isTTY) {
    // Loaded only on a terminal, so a service's start does not pay for it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    output = pretty({ colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss', destination });
  }
  if (!options.feed || level === 'silent') return pino({ level, redact, hooks }, output);
  const streams = pino.multistream([
    { level: level as pino.Level, stream: output },
    { level: level as pino.Level, stream: feedDestination(options.feed) },
  ]);
  return pino({ level, redact, hooks }, streams);
}
