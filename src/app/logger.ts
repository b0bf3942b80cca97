import pino, { type Logger } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

/** JSON lines when the output is a pipe or a file (for log tools); readable lines on a terminal. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  const redact = ['req.headers.authorization', '*.token', '*.password', '*.api_key'];
  if ((destination as NodeJS.WriteStream).isTTY) {
    // Loaded only on a terminal, so a service's start does not pay for it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    return pino({ level, redact }, pretty({ colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss', destination }));
  }
  return pino({ level, redact }, destination);
}
