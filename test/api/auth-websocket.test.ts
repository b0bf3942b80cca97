import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SocketRecorder } from '../helpers/socket-recorder.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

const token = 'ws token: not/an+http=token?';
const encoded = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

/** Listens on a free loopback port; the base URL with ws://. */
async function listen(hub: TestHub): Promise<string> {
  return `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}`.replace(/^http/, 'ws');
}

/** What the server answers a raw upgrade request, read until the body is complete; the socket stays open. */
function rawUpgrade(base: string, path: string, headers: Record<string, string> = {}): Promise<{ socket: Socket; head: string; body: any }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received += String(chunk);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      const body = received.slice(end + 4);
      if (Buffer.byteLength(body) < length) return;
      resolve({ socket, head, body: length ? JSON.parse(body) : undefined });
    });
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** Resolves once `promise` settles, or fails after `ms`. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('WebSockets on a server with a token', () => {
  let hub: TestHub;
  let base: string;
  beforeAll(async () => {
    hub = await createTestHub('pglite', { token });
    base = await listen(hub);
  });
  afterAll(() => hub?.close());

  it('refuses an upgrade without a token, or with a wrong one, with 401 in the error shape', async () => {
    await expect(SocketRecorder.open(`${base}/ws/events`)).rejects.toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    await expect(SocketRecorder.open(`${base}/ws/events`, { protocols: ['wfhub', `bearer.${encoded('wrong token')}`] })).rejects.toMatchObject({
      status: 401,
      body: { error: { code: 'invalid_token' } },
    });
    await expect(SocketRecorder.open(`${base}/ws/events`, { headers: { authorization: 'Bearer wrong token' } })).rejects.toMatchObject({
      status: 401,
      body: { error: { code: 'invalid_token' } },
    });
    // Not base64url: refused as a wrong token, never read some other way.
    await expect(SocketRecorder.open(`${base}/ws/events`, { protocols: ['wfhub', 'bearer.not*base64'] })).rejects.toMatchObject({ status: 401 });
    // The token as it is (not encoded) is not accepted either.
    await expect(SocketRecorder.open(`${base}/ws/events`, { protocols: ['wfhub', `bearer.${token.replace(/[^A-Za-z0-9]/g, '')}`] })).rejects.toMatchObject({ status: 401 });
  });

  it('never takes the token from the query string', async () => {
    for (const query of [`token=${encodeURIComponent(token)}`, `access_token=${encodeURIComponent(token)}`, `bearer=${encoded(token)}`]) {
      await expect(SocketRecorder.open(`${base}/ws/events?${query}`)).rejects.toMatchObject({ status: 401 });
    }
  });

  it('takes the token as a subprotocol, and answers only the plain "wfhub" one', async () => {
    for (const protocols of [
      ['wfhub', `bearer.${encoded(token)}`],
      [`bearer.${encoded(token)}`, 'wfhub'],
    ]) {
      const client = await SocketRecorder.open(`${base}/ws/events`, { protocols });
      expect(client.socket.protocol).toBe('wfhub');
      expect(await client.next((message) => message.type === 'ready')).toEqual({ type: 'ready' });
      client.close();
      await client.closed;
    }
  });

  it('never echoes the token back in the handshake', async () => {
    const answer = await rawUpgrade(base, '/ws/events', { 'Sec-WebSocket-Protocol': `bearer.${encoded(token)}, wfhub` });
    answer.socket.destroy();
    expect(answer.head).toMatch(/^HTTP\/1\.1 101 /);
    expect(answer.head).toMatch(/^sec-websocket-protocol: wfhub$/im);
    expect(answer.head).not.toContain(encoded(token));
  });

  it('keeps taking the Authorization header, with or without a subprotocol', async () => {
    const plain = await SocketRecorder.open(`${base}/ws/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(plain.socket.protocol).toBe('');
    await plain.next((message) => message.type === 'ready');
    plain.close();
    const offered = await SocketRecorder.open(`${base}/ws/events`, { protocols: ['wfhub'], headers: { authorization: `Bearer ${token}` } });
    expect(offered.socket.protocol).toBe('wfhub');
    offered.close();
    await Promise.all([plain.closed, offered.closed]);
  });

  it('checks the token of /ws/runs/{id} before it looks the run up', async () => {
    await expect(SocketRecorder.open(`${base}/ws/runs/999999`)).rejects.toMatchObject({ status: 401 });
    await expect(SocketRecorder.open(`${base}/ws/runs/999999`, { protocols: ['wfhub', `bearer.${encoded(token)}`] })).rejects.toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
  });

  it('takes the subprotocol token on a WebSocket handshake only, not on plain HTTP', async () => {
    const answer = await hub.call('GET', '/projects', undefined, { 'sec-websocket-protocol': `wfhub, bearer.${encoded(token)}` });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthorized');
  });

  it('answers a refused upgrade with the error shape and closes its connection', async () => {
    const answer = await rawUpgrade(base, '/ws/events');
    expect(answer.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.head).toMatch(/^www-authenticate: Bearer/im);
    expect(answer.head).toMatch(/^connection: close$/im);
    expect(answer.body).toMatchObject({ error: { code: 'unauthorized', message: expect.any(String) } });
    const closed = new Promise((resolve) => answer.socket.on('close', resolve));
    await within(5_000, closed, 'the server closing the refused connection');
  });
});

describe('a server with a token closing after refused upgrades', () => {
  it.each([
    ['a raw socket left open', async (base: string) => (await rawUpgrade(base, '/ws/events')).socket],
    ['a raw socket that half-closes', async (base: string) => {
      const { socket } = await rawUpgrade(base, '/ws/runs/1', { 'Sec-WebSocket-Protocol': 'wfhub, bearer.d3Jvbmc' });
      socket.end();
      return socket;
    }],
    ['a ws client that reads the refusal', async (base: string) => {
      const refusal = await SocketRecorder.open(`${base}/ws/events`).catch((error) => error);
      expect(refusal.status).toBe(401);
      return undefined;
    }],
    ['an upgrade to a path the router cannot read', async (base: string) => {
      const answer = await rawUpgrade(base, '/ws/%zz');
      expect(answer.head).toMatch(/^HTTP\/1\.1 40\d /);
      return answer.socket;
    }],
    ['an upgrade to an unknown path', async (base: string) => (await rawUpgrade(base, '/ws/nothing', { Authorization: `Bearer ${token}` })).socket],
    ['a cross-site upgrade', async (base: string) => {
      const answer = await rawUpgrade(base, '/ws/events', { Origin: 'https://elsewhere.example' });
      expect(answer.head).toMatch(/^HTTP\/1\.1 403 /);
      return answer.socket;
    }],
  ])('closes promptly after %s', async (_name, refuse) => {
    const hub = await createTestHub('pglite', { token });
    let socket: Socket | undefined;
    try {
      const base = await listen(hub);
      socket = await refuse(base);
      // A client still on the board is told the server is going away, and does not hold the close up either.
      const open = await SocketRecorder.open(`${base}/ws/events`, { headers: { authorization: `Bearer ${token}` } });
      await open.next((message) => message.type === 'ready');
      await within(5_000, hub.close(), 'closing the server');
      expect((await open.closed).code).toBe(1001);
    } finally {
      socket?.destroy();
    }
  });
});

describe('the token subprotocol on a server without a token', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub('pglite');
  });
  afterAll(() => hub?.close());

  it('is accepted and ignored, and "wfhub" is still the answer', async () => {
    const client = await SocketRecorder.open(`${await listen(hub)}/ws/events`, { protocols: ['wfhub', `bearer.${encoded('anything')}`] });
    expect(client.socket.protocol).toBe('wfhub');
    await client.next((message) => message.type === 'ready');
    client.close();
    await client.closed;
  });
});

// A socket from `ws` itself, so the test does not depend on the recorder for the handshake failure.
describe('a client that offers only the token', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub('pglite', { token });
  });
  afterAll(() => hub?.close());

  it('is not answered with the token as its protocol', async () => {
    const socket = new WebSocket(`${await listen(hub)}/ws/events`, [`bearer.${encoded(token)}`]);
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(error.message).toMatch(/no subprotocol/i);
  });
});
