import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

/** Sends raw bytes and reads what comes back until the server closes the connection. */
function raw(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
  });
}

describe('requests too malformed for the HTTP parser', () => {
  let hub: TestHub;
  let port: number;

  beforeAll(async () => {
    hub = await createTestHub('pglite');
    port = Number(new URL(await hub.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(() => hub?.close());

  it('answers headers too large with 431 in the error shape, saying what to do', async () => {
    const answer = await raw(port, `GET /projects HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.headers).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'headers_too_large', message: expect.stringContaining('Send fewer or shorter headers') } });
  });

  it('answers a broken request line with 400 in the error shape', async () => {
    const answer = await raw(port, 'THIS IS NOT HTTP\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'bad_request' } });
  });

  it('still serves the next client', async () => {
    expect((await hub.call('GET', '/health')).status).toBe(200);
    const answer = await raw(port, 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(200);
  });
});
