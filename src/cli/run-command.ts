import { InvalidArgumentError } from 'commander';
import type { HubClient } from '../app/hub-client.js';

/** Runs `work` with a client and always closes it (releasing the embedded database). */
export async function withClient(connecting: Promise<HubClient>, work: (client: HubClient) => Promise<void>) {
  const client = await connecting;
  try {
    await work(client);
  } finally {
    await client.close();
  }
}

/**
 * Runs `work` with a signal that the first Ctrl-C (or SIGTERM) aborts, saying `stopping`; a
 * second quits at once. The handlers are removed when `work` ends.
 */
export async function interruptible<T>(stopping: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${stopping} (Ctrl-C again to quit at once)…\n`);
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

export function print(json: boolean | undefined, value: unknown, text: () => string) {
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
}

/** Commander argument parser collecting repeated `KEY=VALUE` options into one object. */
export function parseEnvironment(pair: string, previous: Record<string, string> = {}): Record<string, string> {
  const index = pair.indexOf('=');
  if (index <= 0) throw new InvalidArgumentError(`"${pair}" is not KEY=VALUE`);
  return { ...previous, [pair.slice(0, index)]: pair.slice(index + 1) };
}

/** Commander argument parser for one of `values`. */
export function oneOf<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`use one of ${values.join(', ')}`);
    return value as T;
  };
}

/** Commander argument parser for whole numbers within bounds. */
export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
}

export function day(value: Date | string): string {
  return new Date(value).toISOString().slice(0, 10);
}
