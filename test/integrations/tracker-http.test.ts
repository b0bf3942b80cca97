import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TrackerError } from '../../src/integrations/tracker-error.js';
import { retryAfterMs, TrackerHttp, trackerMessage } from '../../src/integrations/tracker-http.js';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

describe('the trackers\' HTTP client', () => {
  let server: Server;
  let base: string;
  let replies: Reply[] = [];
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const slept: number[] = [];
  const token = 'ghp_secret_token_never_shown';
  const client = (options: Partial<ConstructorParameters<typeof TrackerHttp>[0]> = {}) =>
    new TrackerHttp({ provider: 'github', baseUrl: base, headers: { authorization: `Bearer ${token}` }, sleep: async (ms) => void slept.push(ms), ...options });

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
        const reply = replies.shift() ?? { status: 500, body: { message: 'no reply scripted' } };
        response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        response.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    replies = [];
    seen.length = 0;
    slept.length = 0;
  });

  it('sends JSON with the credential and the query, and reads JSON back', async () => {
    replies.push({ status: 201, body: { id: 7 } });
    const answer = await client().request<{ id: number }>('POST', '/repos/o/r/issues/1/comments', { query: { per_page: 100, skip: undefined }, body: { body: 'Done' } });
    expect(answer).toMatchObject({ status: 201, body: { id: 7 } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/repos/o/r/issues/1/comments?per_page=100', body: '{"body":"Done"}' });
    expect(seen[0]!.headers).toMatchObject({ authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' });
  });

  it('waits out a rate limit as long as the tracker asks, then goes on', async () => {
    replies.push({ status: 429, headers: { 'retry-after': '2' }, body: { errors: [{ message: 'You have made too many requests' }] } }, { status: 200, body: [] });
    expect((await client().request('GET', '/user/repos')).status).toBe(200);
    expect(slept).toEqual([2000]);
    expect(seen).toHaveLength(2);
  });

  it('gives up on a rate limit longer than it may wait, saying when to come back', async () => {
    replies.push({ status: 429, headers: { 'retry-after': '120' }, body: { message: 'slow down' } });
    const error = await client({ maxWaitMs: 60_000 }).request('POST', '/x', { body: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TrackerError);
    expect(error).toMatchObject({ code: 'tracker_rate_limited', details: { provider: 'github', status: 429, retryAfterMs: 120_000 } });
    expect((error as Error).message).toContain('try again in 120 s');
    expect(seen).toHaveLength(1);
  });

  it("takes GitHub's 403 with no requests left as a rate limit until its reset time", async () => {
    const reset = Math.floor(Date.now() / 1000) + 5;
    replies.push({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, body: { message: 'API rate limit exceeded' } }, { status: 200, body: {} });
    await client().request('GET', '/user');
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(3000);
    expect(slept[0]).toBeLessThanOrEqual(5000);
  });

  it("says the credential was refused in the tracker's words, never showing it", async () => {
    replies.push({ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } });
    const error = (await client().request('GET', '/user').catch((caught: unknown) => caught)) as TrackerError;
    expect(error.code).toBe('tracker_unauthorized');
    expect(error.message).toContain('Bad credentials');
    expect(error.message).not.toContain(token);
    replies.push({ status: 404, body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} } });
    const missing = (await client({ provider: 'jira' }).request('GET', '/rest/api/3/issue/EX-9').catch((caught: unknown) => caught)) as TrackerError;
    expect(missing).toMatchObject({ code: 'tracker_not_found', details: { provider: 'jira', status: 404 } });
    expect(missing.message).toContain('Issue does not exist');
  });

  it('tries a read again after a failure on the tracker\'s side, but never sends a write twice', async () => {
    replies.push({ status: 502 }, { status: 200, body: { ok: true } });
    expect((await client().request('GET', '/user')).body).toEqual({ ok: true });
    expect(seen).toHaveLength(2);
    seen.length = 0;
    replies.push({ status: 502 }, { status: 200 });
    const error = (await client().request('PATCH', '/repos/o/r/issues/1', { body: { state: 'closed' } }).catch((caught: unknown) => caught)) as TrackerError;
    expect(error.code).toBe('tracker_unavailable');
    expect(seen).toHaveLength(1);
    replies.length = 0;
  });

  it('says where it could not reach the tracker, after trying a read again', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = (await client({ baseUrl: `http://127.0.0.1:${port}`, retries: 2 }).request('GET', '/user').catch((caught: unknown) => caught)) as TrackerError;
    expect(error.code).toBe('tracker_unavailable');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(slept).toHaveLength(2);
  });

  it("follows a tracker's next-page links on its own server only", async () => {
    replies.push({ status: 200, body: [1] });
    await client().request('GET', `${base}/repositories/1/issues?page=2`);
    expect(seen[0]!.url).toBe('/repositories/1/issues?page=2');
    await expect(client().request('GET', 'https://elsewhere.example/steal')).rejects.toThrow(/another server/);
  });

  it('reads every form of "wait" and every form of error body', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 03 Dec 2026 10:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ 'x-ratelimit-reset': '2026-12-03T10:01:00.000Z' }), now)).toBe(60_000);
    expect(retryAfterMs(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 10), 'x-ratelimit-remaining': '0' }), now)).toBe(10_000);
    // Requests left: the reset time is no reason to wait.
    expect(retryAfterMs(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 10), 'x-ratelimit-remaining': '12' }), now)).toBeUndefined();
    expect(trackerMessage({ errors: [{ message: 'Not Authorized' }] })).toBe('Not Authorized');
    expect(trackerMessage({ errorMessages: [], errors: { summary: 'You must specify a summary' } })).toBe('summary: You must specify a summary');
    expect(trackerMessage({ message: 'Validation Failed', errors: [{ resource: 'Label', code: 'invalid' }] })).toBe('Validation Failed');
    expect(trackerMessage(undefined)).toBeUndefined();
  });
});
