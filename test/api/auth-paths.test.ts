import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

const token = 'paths token 0123456789';
const secretName = 'Hidden project 7f3a';

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** One request over a plain TCP socket, its target sent exactly as written (no URL normalising). */
function rawRequest(port: number, method: string, target: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const end = received.indexOf('\r\n\r\n');
      const head = end < 0 ? received : received.slice(0, end);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: end < 0 ? '' : received.slice(end + 4) });
    });
    const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('the token exemption is by route, not by path', () => {
  let hub: TestHub;
  let port: number;
  let asset: string;
  const authorised = { Authorization: `Bearer ${token}` };

  beforeAll(async () => {
    hub = await createTestHub('pglite', { token });
    port = Number(new URL(await hub.app.listen({ host: '127.0.0.1', port: 0 })).port);
    expect((await hub.call('POST', '/projects', { name: secretName, workspace_path: 'hidden' }, { authorization: `Bearer ${token}` })).status).toBe(201);
    const page = await rawRequest(port, 'GET', '/');
    asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)![1]!;
  });
  afterAll(() => hub?.close());

  it('reaches the API with the token (so a leak below would show)', async () => {
    const answer = await rawRequest(port, 'GET', '/projects', authorised);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(secretName);
  });

  it.each([
    '/projects',
    '/projects/',
    '/assets/../projects',
    '/assets/..%2fprojects',
    '/assets/..%2Fprojects',
    '/assets/%2e%2e/projects',
    '/assets/%2e%2e%2fprojects',
    '/assets/..%5cprojects',
    '/%2e%2e/projects',
    '/%2E%2E/projects',
    '/./projects',
    '/%2e/projects',
    '//projects',
    '///projects',
    '/%2fprojects',
    '/index.html/../projects',
    '/index.html/..%2fprojects',
    '/index.html%2f..%2fprojects',
    '/index.html%3f/../projects',
    '/index.html%23/../projects',
    '/health/../projects',
    '/health/..%2fprojects',
    '/health%2f..%2fprojects',
    '/health;/../projects',
    '/health%00/../projects',
    '/projects?/index.html',
    '/projects?x=/assets/a.js',
    '/projects#/index.html',
    '/projects;/index.html',
    '/%70rojects',
    '/PROJECTS',
    'http://127.0.0.1/projects',
  ])('keeps GET %s from the API without the token', async (target) => {
    const answer = await rawRequest(port, 'GET', target);
    expect(answer.body).not.toContain(secretName);
    // 401, or 400/404 where the path is no route at all; never a success.
    expect([400, 401, 404]).toContain(answer.status);
    if (answer.status !== 400) expect(answer.status).toBe(401);
  });

  it.each([
    `/assets/{asset}/../../projects`,
    `/assets/{asset}/..%2f..%2fprojects`,
    `{asset}%2f..%2f..%2fprojects`,
  ])('keeps %s from the API without the token, a real asset in the path', async (pattern) => {
    const target = pattern.replace('/assets/{asset}', asset).replace('{asset}', asset);
    const answer = await rawRequest(port, 'GET', target);
    expect(answer.body).not.toContain(secretName);
    expect([400, 401]).toContain(answer.status);
  });

  it('keeps the API closed to a POST, however its path is spelled', async () => {
    for (const target of ['/projects', '/assets/../projects', '/index.html/../projects', '/health/../projects', '//projects']) {
      const body = JSON.stringify({ name: 'sneaky', workspace_path: 'sneaky' });
      const answer = await rawRequest(port, 'POST', target, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
      expect(answer.status).toBe(401);
    }
    const list = await rawRequest(port, 'GET', '/projects', authorised);
    expect(list.body).not.toContain('sneaky');
  });

  it.each([
    ['GET', '/'],
    ['GET', '/index.html'],
    ['GET', '/index.html?x=1'],
    ['HEAD', '/'],
    ['HEAD', '/index.html'],
  ])('serves the page at %s %s without the token', async (method, target) => {
    const answer = await rawRequest(port, method, target);
    expect(answer.status).toBe(200);
    expect(answer.head).toMatch(/^content-type: text\/html/im);
  });

  it('gives the asterisk form, which the router reads as /, the page and nothing more', async () => {
    const answer = await rawRequest(port, 'GET', '*');
    expect(answer.body).not.toContain(secretName);
    expect(answer.head).toMatch(/^content-type: text\/html/im);
  });

  it('serves a real asset without the token, and /health', async () => {
    expect((await rawRequest(port, 'GET', asset)).status).toBe(200);
    expect((await rawRequest(port, 'HEAD', asset)).status).toBe(200);
    for (const target of ['/health', '/health/', '/health?probe=1']) {
      const answer = await rawRequest(port, 'GET', target);
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('"status":"ok"');
    }
  });

  it('opens nothing else: an unknown asset or page needs the token, and is a 404 with it', async () => {
    for (const target of ['/assets/missing.js', '/favicon.ico', '/index.htm', '/health/full', '/docs', '/openapi.json']) {
      expect((await rawRequest(port, 'GET', target)).status).toBe(401);
    }
    expect((await rawRequest(port, 'GET', '/assets/missing.js', authorised)).status).toBe(404);
  });
});
