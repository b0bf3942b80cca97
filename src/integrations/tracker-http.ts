import { TrackerError, type TrackerErrorCode } from './tracker-error.js';

export interface TrackerHttpOptions {
  /** asana, jira, linear or github: named in messages. */
  provider: string;
  /** The API's root, such as https://api.github.com or https://example.atlassian.net. */
  baseUrl: string;
  /** Sent with every request (the credential's Authorization among them). */
  headers: Record<string, string>;
  /** Tries after the first, for a rate limit or (reads only) a failure on the tracker's side. */
  retries?: number;
  /** The longest wait for a rate limit to lift before giving up with `tracker_rate_limited`. */
  maxWaitMs?: number;
  /** Per request. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** A tracker that says "rate limited" in its body (Linear, even with HTTP 200 or 400). */
  rateLimited?: (status: number, body: unknown) => boolean;
  /** A tracker whose body says what kind of failure it was (Linear's error types). */
  classify?: (status: number, body: unknown) => TrackerErrorCode | undefined;
}

export interface TrackerResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TrackerRequest {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

const safeMethods = new Set(['GET', 'HEAD']);

/**
 * How long a tracker asks to wait: `Retry-After` in seconds or as a date (Asana, GitHub, Jira,
 * Linear), Jira's `X-RateLimit-Reset` (an ISO time), or GitHub's reset time (epoch seconds) and
 * Linear's (`X-RateLimit-Requests-Reset`, epoch milliseconds) once none are left. Undefined when it says nothing.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('x-ratelimit-reset') ?? headers.get('x-ratelimit-requests-reset');
  const remaining = headers.get('x-ratelimit-remaining') ?? headers.get('x-ratelimit-requests-remaining');
  if (reset !== null && (remaining === '0' || !/^\d+$/.test(reset))) {
    const at = /^\d+$/.test(reset) ? Number(reset) * (reset.length > 11 ? 1 : 1000) : Date.parse(reset);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** The tracker's own words from an error body: Asana, Jira, GitHub and Linear each put them elsewhere. */
export function trackerMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim().slice(0, 300) || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const value = body as { message?: unknown; errorMessages?: unknown; errors?: unknown };
  const parts: string[] = [];
  if (typeof value.message === 'string') parts.push(value.message);
  if (Array.isArray(value.errorMessages)) parts.push(...value.errorMessages.filter((item): item is string => typeof item === 'string'));
  if (Array.isArray(value.errors)) {
    for (const item of value.errors) if (item && typeof item === 'object' && typeof (item as { message?: unknown }).message === 'string') parts.push((item as { message: string }).message);
  } else if (value.errors && typeof value.errors === 'object') {
    for (const [field, text] of Object.entries(value.errors)) if (typeof text === 'string') parts.push(`${field}: ${text}`);
  }
  return parts.length ? parts.join('; ').slice(0, 300) : undefined;
}

/**
 * The trackers' HTTP: JSON in and out, a rate limit waited out as the tracker asks (up to
 * `maxWaitMs`, then `tracker_rate_limited` with the wait, for the caller to come back later), a
 * failure on the tracker's side tried again with a growing pause for reads (a write is not sent
 * twice), and every other failure as a TrackerError with the tracker's own words.
 */
export class TrackerHttp {
  private readonly retries: number;
  private readonly maxWaitMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: TrackerHttpOptions) {
    this.retries = options.retries ?? 3;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** A path under the base URL, or a whole URL the tracker gave (a next page's link). */
  url(target: string, query: TrackerRequest['query'] = {}): URL {
    const base = this.options.baseUrl.replace(/\/+$/, '');
    const url = /^https?:\/\//i.test(target) ? new URL(target) : new URL(`${base}${target.startsWith('/') ? '' : '/'}${target}`);
    if (url.origin !== new URL(base).origin) throw new TrackerError('tracker_rejected', `${this.options.provider} sent a link to another server (${url.origin}): not followed.`, { provider: this.options.provider });
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  async request<T>(method: string, target: string, request: TrackerRequest = {}): Promise<TrackerResponse<T>> {
    const { provider } = this.options;
    const url = this.url(target, request.query);
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retries;
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { accept: 'application/json', ...this.options.headers, ...(request.body !== undefined && { 'content-type': 'application/json' }) },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(this.timeoutMs),
          redirect: 'follow',
        });
      } catch (error) {
        const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${Math.round(this.timeoutMs / 1000)} s` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
        if (!last && safeMethods.has(method)) {
          await this.sleep(this.backoff(attempt));
          continue;
        }
        throw new TrackerError('tracker_unavailable', `${provider} at ${url.origin} could not be reached (${reason}). Check the base URL and the network, then try again.`, { provider });
      }
      const body = await readBody(response);
      const saysLimited = this.options.rateLimited?.(response.status, body) ?? false;
      if (response.ok && !saysLimited) return { status: response.status, headers: response.headers, body: body as T };

      const wait = retryAfterMs(response.headers);
      const limited = saysLimited || response.status === 429 || ((response.status === 403 || response.status === 503) && (wait !== undefined || response.headers.get('x-ratelimit-remaining') === '0'));
      const words = trackerMessage(body);
      if (limited) {
        const ms = wait ?? this.backoff(attempt);
        if (!last && ms <= this.maxWaitMs) {
          await this.sleep(ms);
          continue;
        }
        throw new TrackerError('tracker_rate_limited', `${provider} is rate limiting these requests${words ? ` (${words})` : ''}: try again in ${Math.ceil(ms / 1000)} s.`, { provider, status: response.status, retryAfterMs: ms });
      }
      if (response.status >= 500 && !last && safeMethods.has(method)) {
        await this.sleep(this.backoff(attempt));
        continue;
      }
      const kind = this.options.classify?.(response.status, body);
      if (kind) throw new TrackerError(kind, `${provider}: ${words ?? `HTTP ${response.status}`}`, { provider, status: response.status });
      throw this.failure(response.status, words);
    }
  }

  private failure(status: number, words: string | undefined): TrackerError {
    const { provider } = this.options;
    const said = words ? `: ${words}` : '';
    if (status === 401) return new TrackerError('tracker_unauthorized', `${provider} refused the credential (HTTP 401${said}). Check the token${provider === 'jira' ? ' and the email it belongs to' : ''}, and that it has not expired.`, { provider, status });
    if (status === 403) return new TrackerError('tracker_unauthorized', `${provider} does not allow this with the credential (HTTP 403${said}). Give the token the scopes it needs.`, { provider, status });
    if (status === 404 || status === 410) return new TrackerError('tracker_not_found', `${provider} has no such thing, or the credential cannot see it (HTTP ${status}${said}).`, { provider, status });
    if (status >= 500) return new TrackerError('tracker_unavailable', `${provider} failed on its side (HTTP ${status}${said}). Try again later.`, { provider, status });
    return new TrackerError('tracker_rejected', `${provider} refused the request (HTTP ${status}${said}).`, { provider, status });
  }

  /** 1 s, 2 s, 4 s… with a little jitter, so clients that failed together do not retry together. */
  private backoff(attempt: number): number {
    return Math.min(30_000, 1000 * 2 ** attempt) * (0.8 + Math.random() * 0.4);
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
