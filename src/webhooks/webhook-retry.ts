/**
 * When a delivery that failed is tried again: after 10 s, 30 s, 2 min, 10 min, 1 h, 3 h and 6 h
 * (eight attempts in all, over about ten hours), each wait moved by up to a fifth either way so
 * that receivers coming back from an outage are not hit by every retry at once; never sooner
 * than a 429's or 503's Retry-After (up to a day). Then it is given up (failed).
 */
export const defaultRetryDelaysMs: readonly number[] = [10_000, 30_000, 120_000, 600_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000];

export interface RetryPolicy {
  /** The wait after each failed attempt, in order; one attempt more than there are waits. */
  delaysMs: readonly number[];
  /** How far a wait may move either way, as a fraction of it (0.2: ±20%). */
  jitter: number;
  /** The longest Retry-After honored; a longer one waits this long. */
  maxRetryAfterMs: number;
  random?: () => number;
}

export const defaultRetryPolicy: RetryPolicy = { delaysMs: defaultRetryDelaysMs, jitter: 0.2, maxRetryAfterMs: 24 * 3_600_000 };

/** The attempts a delivery gets before it is given up. */
export const maxAttemptsOf = (policy: RetryPolicy) => policy.delaysMs.length + 1;

/** The wait after `attempts` failed attempts, or undefined when the delivery is given up. */
export function retryDelay(policy: RetryPolicy, attempts: number, retryAfterMs?: number): number | undefined {
  const base = policy.delaysMs[attempts - 1];
  if (base === undefined) return undefined;
  const random = policy.random ?? Math.random;
  const jittered = Math.round(base * (1 - policy.jitter + 2 * policy.jitter * random()));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, policy.maxRetryAfterMs));
}

/** A Retry-After header (seconds, or an HTTP date) as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
