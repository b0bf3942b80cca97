import { request } from 'node:http';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { SocketRecorder } from '../helpers/socket-recorder.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';
import { until } from '../helpers/until.js';

/** A streamed chunk without what differs from one answer to the next (the time it was made). */
const comparable = (chunk: Record<string, unknown>) => ({ ...chunk, created_at: undefined });

describe.each(backends())('the /ollama proxy on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let base: string;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, firstTokenTimeout: 10 });
    await hub.services.scheduler.start();
    base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  it('lets the official ollama client stream a chat through it exactly as against Ollama, and records the call', async () => {
    const direct = new Ollama({ host: ollama.url });
    const proxied = new Ollama({ host: `${base}/ollama` });
    const script = { text: 'Hello through the proxy, streamed in pieces.', chunkSize: 6, chunkDelayMs: 30, promptTokens: 41, completionTokens: 9 };
    const messages = [{ role: 'user', content: 'Say hello' }];

    ollama.script(script);
    const expected = [];
    for await (const chunk of await direct.chat({ model: 'qwen2.5-coder:3b', messages, stream: true })) expected.push(comparable(chunk as never));

    ollama.script(script);
    const seen = [];
    const arrivals: number[] = [];
    for await (const chunk of await proxied.chat({ model: 'qwen2.5-coder:3b', messages, stream: true })) {
      seen.push(comparable(chunk as never));
      arrivals.push(performance.now());
    }
    expect(seen).toEqual(expected);
    expect(seen.length).toBeGreaterThan(5);
    // Streamed: the pieces came as Ollama sent them, not all at once at the end.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(100);
    expect(seen.map((chunk: any) => chunk.message.content).join('')).toBe(script.text);

    // The list of models goes through as well.
    expect((await proxied.list()).models.map((model) => model.name)).toEqual(['qwen2.5-coder:3b']);

    const entries = await until(
      async () => (await hub.call('GET', '/logs/ollama_http')).body as any[],
      (list) => list.some((entry) => entry.data?.path === '/api/chat') && list.some((entry) => entry.data?.path === '/api/tags'),
      'the proxied calls on the ollama_http channel',
    );
    const chat = entries.find((entry) => entry.data.path === '/api/chat');
    expect(chat).toMatchObject({
      channel: 'ollama_http',
      level: 'info',
      data: { source: 'proxy', method: 'POST', model: 'qwen2.5-coder:3b', status: 200, prompt_tokens: 41, completion_tokens: 9 },
    });
    expect(chat.message).toMatch(/^POST \/api\/chat qwen2\.5-coder:3b 200 in .* \(41 \+ 9 tokens/);

    const record = (await hub.call('GET', `/model-calls/${chat.data.call_id}`)).body;
    expect(record).toMatchObject({ source: 'proxy', path: '/api/chat', status: 200, prompt_tokens: 41, completion_tokens: 9, run_id: null });
    expect(record.duration_ms).toBeGreaterThanOrEqual(100);
    expect(record.first_byte_ms).toBeLessThan(record.duration_ms);
    // The fake's eval_duration (4.29 s for 9 tokens) is the generation time.
    expect(record.tokens_per_second).toBeCloseTo(9 / 4.289432, 1);
    expect(JSON.parse(record.request_body)).toMatchObject({ model: 'qwen2.5-coder:3b', messages, stream: true });
    expect(record.response_body.trim().split('\n').map((line: string) => comparable(JSON.parse(line)))).toEqual(expected);
    expect(record.response_bytes).toBe(Buffer.byteLength(record.response_body));
  });

  it("records wfhub's own agent calls the same way, with their run, task and project, and sums them in /usage", async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Counted', workspace_path: 'counted' })).body;
    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Write a note' })).body;
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'note.txt', content: 'counted\n' } }], promptTokens: 120, completionTokens: 30 },
      { text: 'Wrote note.txt.', promptTokens: 160, completionTokens: 8 },
    );
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(run.status).toBe('succeeded');

    await hub.services.modelCalls.flush();
    const all = (await hub.call('GET', `/model-calls?run_id=${run.id}`)).body as any[];
    // Asking the model server about the model (its window, its tools) is part of the run's traffic too.
    expect(all.filter((call) => call.path !== '/api/chat').map((call) => [call.path, call.status])).toEqual([['/api/show', 200]]);
    const calls = all.filter((call) => call.path === '/api/chat');
    expect(calls.map((call) => [call.source, call.path, call.model, call.status, call.prompt_tokens, call.completion_tokens, call.task_id, call.project_id])).toEqual([
      ['agent', '/api/chat', 'qwen2.5-coder:3b', 200, 160, 8, task.id, project.id],
      ['agent', '/api/chat', 'qwen2.5-coder:3b', 200, 120, 30, task.id, project.id],
    ]);
    // The agent's request is the one Ollama got: the same record as a proxied call.
    const detail = (await hub.call('GET', `/model-calls/${calls[1].id}`)).body;
    expect(JSON.parse(detail.request_body)).toEqual(ollama.chatRequests.at(-2));

    const byRun = (await hub.call('GET', `/usage?by=run&run_id=${run.id}`)).body;
    expect(byRun.totals).toMatchObject({ calls: 3, failed_calls: 0, prompt_tokens: 280, completion_tokens: 38 });
    expect(byRun.rows).toEqual([
      expect.objectContaining({ key: run.id, label: 'Write a note', project_id: project.id, task_id: task.id, calls: 3, prompt_tokens: run.prompt_tokens, completion_tokens: run.completion_tokens }),
    ]);
    expect((await hub.call('GET', `/usage?by=task&task_id=${task.id}`)).body.rows).toEqual([expect.objectContaining({ key: task.id, label: 'Write a note', project_id: project.id, task_id: task.id, calls: 3 })]);
    const byProject = (await hub.call('GET', '/usage?by=project')).body;
    expect(byProject.rows.find((row: any) => row.key === project.id)).toMatchObject({ label: 'Counted', calls: 3, prompt_tokens: 280, completion_tokens: 38 });
    // Calls of no project (the proxied ones) are a row of their own.
    expect(byProject.rows.find((row: any) => row.key === null)).toMatchObject({ calls: 2, prompt_tokens: 41, completion_tokens: 9 });

    const today = new Date().toISOString().slice(0, 10);
    const byDay = (await hub.call('GET', `/usage?by=day&from=${today}&to=${today}`)).body;
    expect(byDay.rows).toEqual([expect.objectContaining({ key: today, calls: 5, prompt_tokens: 321, completion_tokens: 47 })]);
    expect(byDay.totals.tokens_per_second).toBeGreaterThan(0);
    const bySource = (await hub.call('GET', '/usage?by=source')).body;
    expect(Object.fromEntries(bySource.rows.map((row: any) => [row.key, row.calls]))).toEqual({ agent: 3, proxy: 2 });
    expect((await hub.call('GET', '/usage?from=2001-01-01&to=2001-01-02')).body.totals).toMatchObject({ calls: 0, prompt_tokens: 0, tokens_per_second: null });
  });

  it('streams the ollama_http source over its own socket, and only it', async () => {
    const socket = await SocketRecorder.open(`${base.replace(/^http/, 'ws')}/ws/logs/ollama_http`);
    await socket.next((message) => message.type === 'ready');
    await fetch(`${base}/ollama/api/tags`);
    await hub.call('GET', '/projects');
    const entry = await socket.next((message) => message.type === 'entry' && message.entry.data?.path === '/api/tags' && message.entry.seq > 0);
    expect(entry.entry.channel).toBe('ollama_http');
    expect(socket.messages.filter((message) => message.type === 'entry').every((message) => message.entry.channel === 'ollama_http')).toBe(true);
    socket.close();
  });

  it("passes Ollama's own errors through unchanged and records them as failed", async () => {
    const answer = await fetch(`${base}/ollama/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'missing:1b', messages: [] }) });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ error: 'model "missing:1b" not found, try pulling it first' });
    const [call] = await until(
      async () => (await hub.call('GET', '/model-calls?model=missing:1b')).body as any[],
      (list) => list.length === 1,
      'the failed call',
    );
    expect(call).toMatchObject({ source: 'proxy', status: 404, error: 'Ollama answered 404', prompt_tokens: null });
    expect((await hub.call('GET', '/usage?model=missing:1b')).body.totals).toMatchObject({ calls: 1, failed_calls: 1 });
  });

  it('records a chat the client walked away from as cut short, and stops Ollama', async () => {
    ollama.script({ text: 'A long answer nobody waits for, sent slowly.', chunkSize: 2, chunkDelayMs: 40 });
    const abandoned = ollama.abandonedChats;
    // A client that reads the first piece of the answer and hangs up.
    await new Promise<void>((resolve, reject) => {
      const asked = request(`${base}/ollama/api/chat`, { method: 'POST', agent: false }, (answer) => {
        answer.once('data', () => {
          asked.destroy();
          resolve();
        });
      });
      asked.on('error', (error) => (asked.destroyed ? undefined : reject(error)));
      asked.end(JSON.stringify({ model: 'qwen2.5-coder:3b', messages: [{ role: 'user', content: 'Go on' }] }));
    });
    await until(async () => ollama.abandonedChats, (count) => count > abandoned, 'Ollama told the client went away');
    const [call] = await until(
      async () => (await hub.call('GET', '/model-calls?source=proxy&limit=1')).body as any[],
      (list) => list[0]?.error?.includes('cut short'),
      'the abandoned call',
    );
    expect(call).toMatchObject({ path: '/api/chat', status: 200, completion_tokens: null });
  });

  it('passes a request sent with Expect: 100-continue (as curl sends large bodies)', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const asked = request(`${base}/ollama/api/show`, { method: 'POST', agent: false, headers: { expect: '100-continue', 'content-type': 'application/json' } }, (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: text }));
      });
      asked.on('error', reject);
      asked.on('continue', () => asked.end(JSON.stringify({ model: 'qwen2.5-coder:3b' })));
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).capabilities).toContain('tools');
  });

  it('refuses bad queries with the error shape', async () => {
    expect(errorCode(await hub.call('GET', '/usage?by=week'))).toBe('invalid_request');
    expect((await hub.call('GET', '/usage?from=2026-13-40')).status).toBe(400);
    // Days JavaScript would roll over, and PostgreSQL would refuse.
    for (const day of ['2024-02-30', '2024-04-31', '0000-01-01']) expect((await hub.call('GET', `/usage?to=${day}`)).status).toBe(400);
    const reversed = await hub.call('GET', '/usage?from=2026-05-02&to=2026-05-01');
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.message).toContain('from');
    expect((await hub.call('GET', '/model-calls/999999')).status).toBe(404);
    expect((await hub.call('GET', '/model-calls?run_id=abc')).status).toBe(400);
    expect((await hub.call('GET', '/logs/everything')).status).toBe(400);
    expect(errorCode(await hub.call('GET', '/ws/logs/ollama_http'))).toBe('websocket_required');
  });
});

describe('the /ollama proxy when the server stops', () => {
  it('ends the calls in flight instead of waiting for them', async () => {
    const ollama = await new FakeOllama().start();
    const hub = await createTestHub('pglite', { ollamaHost: ollama.url });
    try {
      const base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
      // An answer that would take a minute to stream.
      ollama.script({ text: 'slow '.repeat(300), chunkSize: 5, chunkDelayMs: 200 });
      const cut = new Promise<string>((resolve) => {
        const asked = request(`${base}/ollama/api/chat`, { method: 'POST', agent: false }, (answer) => {
          answer.on('data', () => undefined);
          answer.on('error', () => resolve('cut'));
          answer.on('end', () => resolve(answer.complete ? 'ended' : 'cut'));
        });
        asked.on('error', () => resolve('cut'));
        asked.end(JSON.stringify({ model: 'qwen2.5-coder:3b', messages: [{ role: 'user', content: 'Go slowly' }] }));
      });
      await until(async () => ollama.chatRequests.length, (count) => count === 1, 'the chat reached Ollama');
      await hub.app.close();
      expect(await cut).toBe('cut');
      await until(async () => ollama.abandonedChats, (count) => count === 1, 'Ollama told to stop');
      await hub.services.modelCalls.flush();
      const [call] = (await hub.services.modelCalls.list({ limit: 1 })).items;
      expect(call).toMatchObject({ path: '/api/chat', status: 200 });
      expect(call!.error).toContain('cut short');
    } finally {
      await hub.close();
      await ollama.stop();
    }
  });
});

describe('the /ollama proxy without Ollama, and behind a token', () => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let base: string;
  const token = 'proxy-token-0123456789';

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub('pglite', { ollamaHost: ollama.url, token });
    base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  it("asks for wfhub's token and never passes it on to Ollama", async () => {
    expect((await fetch(`${base}/ollama/api/tags`)).status).toBe(401);
    const client = new Ollama({ host: `${base}/ollama`, headers: { authorization: `Bearer ${token}` } });
    expect((await client.list()).models).toHaveLength(1);
    const asked = ollama.requests.filter((request) => request.url === '/api/tags');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.headers.authorization).toBeUndefined();
  });

  it('answers 502 in the error shape when Ollama is gone, and records the call', async () => {
    await ollama.stop();
    const answer = await fetch(`${base}/ollama/api/tags`, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(502);
    const body = (await answer.json()) as any;
    expect(body.error.code).toBe('llm_unreachable');
    expect(body.error.message).toContain('Is Ollama running?');
    const [call] = await until(
      async () => (await hub.call('GET', '/model-calls?limit=1', undefined, { authorization: `Bearer ${token}` })).body as any[],
      (list) => list[0]?.status === null,
      'the unanswered call',
    );
    expect(call).toMatchObject({ path: '/api/tags', status: null, source: 'proxy' });
    expect(call.error).toBeTruthy();
  });
});
