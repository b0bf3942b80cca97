import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { FakeOpenAi } from '../fakes/fake-openai.js';
import { backends } from '../helpers/database.js';
import { LogOutput } from '../helpers/log-output.js';
import { SocketRecorder } from '../helpers/socket-recorder.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';
import { until } from '../helpers/until.js';

describe.each(backends())('the logs feed on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let base: string;
  let projectId: number;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, firstTokenTimeout: 10 }, { serverLog: new LogOutput() });
    await hub.services.scheduler.start();
    base = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}`.replace(/^http/, 'ws');
    projectId = (await hub.call('POST', '/projects', { name: 'Logged', workspace_path: 'logged' })).body.id;
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  const entries = async (query = '') => (await hub.call('GET', `/logs${query}`)).body as any[];

  it("tells a run's model calls, tool calls and lifecycle, and the server's requests, over GET and the socket alike", async () => {
    const socket = await SocketRecorder.open(`${base}/ws/logs`);
    await socket.next((message) => message.type === 'ready');

    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Write a note' })).body;
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'note.txt', content: 'logged\n' } }], promptTokens: 120, completionTokens: 30 },
      { text: 'Wrote note.txt.', promptTokens: 160, completionTokens: 8 },
    );
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(run.status).toBe('succeeded');

    const model = await until(
      async () => (await entries('?channel=ollama_http')).filter((entry) => entry.data?.run_id === run.id && entry.data.path === '/api/chat'),
      (list) => list.length === 2,
      "the run's two model calls on the ollama_http channel",
    );
    expect(model.map((entry) => [entry.data.prompt_tokens, entry.data.completion_tokens])).toEqual([
      [120, 30],
      [160, 8],
    ]);
    expect(model[0]).toMatchObject({
      channel: 'ollama_http',
      level: 'info',
      data: { source: 'agent', method: 'POST', path: '/api/chat', model: 'qwen2.5-coder:3b', status: 200, task_id: task.id, project_id: projectId },
    });
    expect(model[0].data.duration_ms).toBeGreaterThanOrEqual(0);
    expect(model[0].message).toMatch(new RegExp(`^POST /api/chat qwen2.5-coder:3b 200 in .* \\(120 \\+ 30 tokens.* · run ${run.id}$`));

    const runs = await until(
      () => entries('?channel=runs'),
      (list) => list.some((entry) => entry.data?.run_id === run.id && entry.data.status === 'succeeded'),
      'the run ending on the runs channel',
    );
    const mine = runs.filter((entry) => entry.data?.run_id === run.id);
    expect(mine.map((entry) => entry.data.status ?? entry.data.tool)).toEqual(['queued', 'running', 'write', 'succeeded']);
    expect(mine[2]).toMatchObject({ level: 'info', data: { tool: 'write', ok: true, files_changed: ['note.txt'] } });
    expect(mine[3].data).toMatchObject({ task_id: task.id, steps: 2, prompt_tokens: 280, completion_tokens: 38, files_changed: 1 });
    expect(mine[3].message).toMatch(new RegExp(`^run ${run.id} of task ${task.id} succeeded`));

    const server = await entries('?channel=server');
    expect(server.some((entry) => entry.data?.req?.url === `/tasks/${task.id}/trigger?wait=true`)).toBe(true);
    expect(server.some((entry) => entry.data?.res?.statusCode === 200 && typeof entry.data.responseTime === 'number')).toBe(true);

    // The socket had every entry, of every channel, in order: the very same as GET.
    const all = await entries();
    const last = all.at(-1).seq;
    await socket.next((message) => message.type === 'entry' && message.entry.seq === last);
    const sent = socket.messages.filter((message) => message.type === 'entry' && message.entry.seq <= last).map((message) => message.entry);
    expect(sent).toEqual(all);
    expect(new Set(all.map((entry) => entry.channel))).toEqual(new Set(['server', 'ollama_http', 'runs']));
    expect(all.map((entry) => entry.seq)).toEqual([...all.map((entry) => entry.seq)].sort((a, b) => a - b));
    socket.close();
  });

  it('tells the model traffic of chats and of /api/agent/run too, each named by who asked', async () => {
    ollama.script({ text: 'Hello from the chat.' });
    const chat = (await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'Say hello' })).body;
    ollama.script({ text: 'Hello from the agent.' });
    expect((await hub.call('POST', '/api/agent/run', { message: 'Say hello', workspace: 'logged' })).status).toBe(200);

    await hub.services.modelCalls.flush();
    const model = await entries('?channel=ollama_http');
    const ofChat = model.filter((entry) => entry.data?.conversation_id === chat.conversation_id && entry.data.path === '/api/chat');
    expect(ofChat).toHaveLength(1);
    expect(ofChat[0].message).toMatch(new RegExp(` · chat ${chat.conversation_id}$`));
    expect(ofChat[0].data.project_id).toBe(projectId);
    // The agent's own call names nobody: no run, no chat.
    const last = model.filter((entry) => entry.data?.path === '/api/chat' && entry.data.conversation_id === undefined && entry.data.run_id === undefined).at(-1);
    expect(last.message).toMatch(/^POST \/api\/chat qwen2.5-coder:3b 200 .* · agent$/);
  });

  it('resumes after a sequence number with no gap and no duplicate, over GET pages and over the socket', async () => {
    const before = await entries();
    expect(before.length).toBeGreaterThan(6);
    const middle = before[Math.floor(before.length / 2)].seq;
    const expected = before.filter((entry) => entry.seq > middle);

    // Paged three at a time, as a poller that fell behind would read.
    const paged: any[] = [];
    let after = middle;
    for (;;) {
      const page = await hub.call('GET', `/logs?after=${after}&limit=3`);
      expect(page.status).toBe(200);
      if (page.body.length === 0) break;
      if (paged.length === 0) expect(Number(page.headers['x-total-count'])).toBeGreaterThanOrEqual(expected.length);
      paged.push(...page.body);
      after = page.body.at(-1).seq;
    }
    expect(paged.slice(0, expected.length)).toEqual(expected);

    const socket = await SocketRecorder.open(`${base}/ws/logs?after=${middle}`);
    await socket.next((message) => message.type === 'ready');
    const readyAt = socket.messages.findIndex((message) => message.type === 'ready');
    const backlog = socket.messages.slice(0, readyAt).map((message) => message.entry);
    expect(backlog.slice(0, expected.length)).toEqual(expected);
    expect(backlog.map((entry) => entry.seq).every((seq) => seq > middle)).toBe(true);

    // Then what happens next, live, with no entry twice.
    const project = (await hub.call('POST', '/projects', { name: 'Live log', workspace_path: 'live-log' })).body;
    await socket.next((message) => message.type === 'entry' && message.entry.data?.req?.url === '/projects' && message.entry.data?.req?.method === 'POST');
    const seqs = socket.messages.filter((message) => message.type === 'entry').map((message) => message.entry.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(project.id).toBeGreaterThan(0);
    socket.close();
  });

  it('does not fill the server channel with its own polling', async () => {
    const before = (await entries('?channel=server')).length;
    for (let poll = 0; poll < 10; poll++) await entries('?channel=server');
    const after = await entries('?channel=server');
    expect(after.filter((entry) => entry.data?.req?.url?.startsWith('/logs'))).toEqual([]);
    expect(after.length).toBe(before);
  });

  it('refuses a channel it does not have, and answers plain HTTP on the socket route with 426', async () => {
    const bad = await hub.call('GET', '/logs?channel=everything');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('channel');
    errorCode(bad);
    expect((await hub.call('GET', '/logs?after=-1')).status).toBe(400);
    const plain = await hub.call('GET', '/ws/logs');
    expect(plain.status).toBe(426);
    expect(errorCode(plain)).toBe('websocket_required');
  });
});

describe('the logs feed keeps the last entries of each channel', () => {
  let ollama: FakeOllama;
  let hub: TestHub;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub('pglite', { ollamaHost: ollama.url, firstTokenTimeout: 10 }, { serverLog: new LogOutput(), logs: { perChannel: 5 } });
    await hub.call('POST', '/projects', { name: 'Bounded', workspace_path: 'bounded' });
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  it('drops the oldest entries of a busy channel and keeps the quiet ones', async () => {
    ollama.script({ text: 'One answer.' });
    await hub.call('POST', '/api/agent/run', { message: 'Answer once', workspace: 'bounded' });
    await hub.services.modelCalls.flush();
    const model = (await hub.call('GET', '/logs?channel=ollama_http')).body;
    expect(model.map((entry: any) => entry.message)).toEqual([expect.stringMatching(/^POST \/api\/show .* · agent$/), expect.stringMatching(/^POST \/api\/chat .* · agent$/)]);

    // Far more server lines than the channel keeps.
    for (let request = 0; request < 20; request++) await hub.call('GET', `/projects?name=flood-${request}`);
    const server = (await hub.call('GET', '/logs?channel=server')).body;
    expect(server).toHaveLength(5);
    const urls = server.map((entry: any) => entry.data?.req?.url).filter(Boolean);
    expect(urls).toContain('/projects?name=flood-19');
    expect(urls).not.toContain('/projects?name=flood-0');
    // The model traffic was not pushed out by them.
    expect((await hub.call('GET', '/logs?channel=ollama_http')).body).toEqual(model);
    // And the merged list holds what each channel holds, in order.
    const all = (await hub.call('GET', '/logs')).body;
    expect(all.map((entry: any) => entry.seq)).toEqual([...model, ...server].map((entry: any) => entry.seq).sort((a: number, b: number) => a - b));
  });
});

describe('the logs feed on a server with a token', () => {
  const token = 'logs token/with+signs=';
  const apiKey = 'sk-logs-test-key-0123456789';
  let openai: FakeOpenAi;
  let hub: TestHub;
  let output: LogOutput;
  let base: string;
  const auth = { authorization: `Bearer ${token}` };

  beforeAll(async () => {
    openai = await new FakeOpenAi().start();
    openai.apiKey = apiKey;
    output = new LogOutput();
    hub = await createTestHub(
      'pglite',
      { token, llmProvider: 'openai', openaiBaseUrl: openai.baseUrl, openaiApiKey: apiKey, model: 'qwen2.5-coder-3b-instruct', firstTokenTimeout: 10 },
      { serverLog: output },
    );
    base = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}`.replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await hub?.close();
    await openai?.stop();
  });

  it('needs the token like every other route', async () => {
    expect((await hub.call('GET', '/logs')).status).toBe(401);
    // Asked before the upgrade: refused as plain HTTP.
    expect((await hub.call('GET', '/ws/logs')).status).toBe(401);
    expect((await hub.call('GET', '/ws/logs', undefined, auth)).status).toBe(426);
  });

  it('never shows the token or the API key, wherever a request put them', async () => {
    const socket = await SocketRecorder.open(`${base}/ws/logs`, { headers: auth });
    await socket.next((message) => message.type === 'ready');
    expect((await hub.call('POST', '/projects', { name: 'Secret', workspace_path: 'secret' }, auth)).status).toBe(201);
    // A token in a query string (as a careless client might send it) reaches the request line.
    expect((await hub.call('GET', `/projects?name=${encodeURIComponent(token)}`, undefined, auth)).status).toBe(200);
    expect((await hub.call('GET', `/projects?name=${encodeURIComponent(token)}`, undefined, { authorization: 'Bearer not the token' })).status).toBe(401);
    // The model server is called with the key: once accepted, once (a wrong key) refused.
    openai.script({ text: 'Hello.' });
    expect((await hub.call('POST', '/api/agent/run', { message: 'Say hello', workspace: 'secret' }, auth)).body.status).toBe('succeeded');
    openai.apiKey = 'another key altogether';
    const refused = (await hub.call('POST', '/api/agent/run', { message: 'Say hello', workspace: 'secret' }, auth)).body;
    expect(refused.stop.code).toBe('llm_unauthorized');
    openai.apiKey = apiKey;

    await hub.services.modelCalls.flush();
    const all = (await hub.call('GET', '/logs', undefined, auth)).body;
    const server = all.filter((entry: any) => entry.channel === 'server');
    const model = all.filter((entry: any) => entry.channel === 'ollama_http');
    // The lines are there, with the secret hidden in them.
    expect(server.some((entry: any) => entry.data?.req?.url === '/projects?name=[redacted]')).toBe(true);
    expect(server.some((entry: any) => entry.data?.res?.statusCode === 401)).toBe(true);
    expect(model.some((entry: any) => entry.data?.prompt_tokens !== undefined)).toBe(true);
    // Refused at its first call, the one asking what the model can do.
    expect(model.at(-1)).toMatchObject({ level: 'warn', data: { source: 'agent', method: 'GET', path: '/v1/models', status: 401 } });
    // The recorded calls hold neither: the key goes in a header, which is not kept.
    const calls = (await hub.call('GET', '/model-calls', undefined, auth)).body;
    const details = await Promise.all(calls.map(async (call: any) => (await hub.call('GET', `/model-calls/${call.id}`, undefined, auth)).body));
    await socket.next((message) => message.type === 'entry' && message.entry.seq === all.at(-1).seq);

    const forms = [token, encodeURIComponent(token), JSON.stringify(token).slice(1, -1), apiKey, 'logs token', 'sk-logs'];
    const shown = [JSON.stringify(all), JSON.stringify(socket.messages), output.lines.join(''), JSON.stringify(details)];
    for (const text of shown) for (const form of forms) expect(text).not.toContain(form);
    expect(output.lines.join('')).toContain('[redacted]');
    socket.close();
  });
});
