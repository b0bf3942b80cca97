import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
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
  let ollama: FakeOllama;
  let port: number;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub('pglite', { ollamaHost: ollama.url });
    await hub.services.scheduler.start();
    port = Number(new URL(await hub.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

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

  it('writes no error into an answer already streaming on the same connection', async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Streamed', workspace_path: 'streamed' })).body;
    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Wait' })).body;
    // The model never answers: the run stays running, its stream open after its first events.
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`GET /runs/${run.id}/stream HTTP/1.1\r\nHost: localhost\r\n\r\n`));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        const first = text === '';
        text += chunk;
        if (first) socket.write('GARBAGE\r\n\r\n');
      });
      socket.on('error', () => resolve(text));
      socket.on('close', () => resolve(text));
      setTimeout(() => reject(new Error(`the connection stayed open: ${text}`)), 10_000).unref();
    });
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(received).toContain('event: run.started');
    expect(received).not.toContain('HTTP/1.1 400');
    await hub.call('POST', `/runs/${run.id}/cancel`);
    await hub.ended(run.id);
  });

  it('still serves the next client', async () => {
    expect((await hub.call('GET', '/health')).status).toBe(200);
    const answer = await raw(port, 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(answer.status).toBe(200);
  });
});
