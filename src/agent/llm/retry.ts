import { setTimeout as sleep } from 'node:timers/promises';
import { LlmError } from './llm-error.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; doubled each time, with jitter. */
  readonly baseDelayMs: number;
  /** No single wait is longer, whatever a Retry-After header asks. */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 20_000 };

/**
 * Runs a streamed call again when it failed in a way a retry could fix (unreachable, 429, 5xx),
 * but only while nothing was received: once output reached the caller, a retry would repeat it.
 */
export async function* withRetries<T>(
  call: () => AsyncIterable<T>,
  options: { policy?: RetryPolicy; signal?: AbortSignal; onRetry?: (error: LlmError, attempt: number, delayMs: number) => void } = {},
): AsyncGenerator<T> {
  const policy = options.policy ?? defaultRetryPolicy;
  for (let attempt = 1; ; attempt++) {
    let received = false;
    try {
      for await (const item of call()) {
        received = true;
        yield item;
      }
      return;
    } catch (error) {
      if (received || attempt >= policy.attempts || !(error instanceof LlmError) || !error.retryable) throw error;
      const backoff = policy.baseDelayMs * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4);
      const delayMs = Math.min(policy.maxDelayMs, Math.max(backoff, error.details.retryAfterMs ?? 0));
      options.onRetry?.(error, attempt, delayMs);
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch {
        throw new LlmError('llm_cancelled', 'The call to the model was cancelled.');
      }
    }
  }
}

/** Reads a Retry-After header (seconds or an HTTP date) as milliseconds. */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const secondsValue = Number(value);
  if (Number.isFinite(secondsValue)) return Math.max(0, secondsValue * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * A provider's `chat`: `once` retried under the provider's policy, each retry told to the
 * request's listener (or the provider's) in words a user can read.
 */
export function retryingChat<T>(
  once: () => AsyncIterable<T>,
  request: { signal?: AbortSignal; onRetry?: (message: string) => void },
  provider: { retry?: RetryPolicy; onRetry?: (message: string) => void },
): AsyncGenerator<T> {
  const listener = request.onRetry ?? provider.onRetry;
  return withRetries(once, {
    policy: provider.retry,
    signal: request.signal,
    onRetry: (error, attempt, delayMs) => listener?.(`${error.message} Retrying in ${Math.round(delayMs / 100) / 10} s (attempt ${attempt + 1}).`),
  });
}
