import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { SocketRecorder } from '../helpers/socket-recorder.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('WebSocket streams on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let base: string;
  let projectId: number;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, firstTokenTimeout: 10 });
    await hub.services.scheduler.start();
    base = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}`.replace(/^http/, 'ws');
    projectId = (await hub.call('POST', '/projects', { name: 'Live', workspace_path: 'live' })).body.id;
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  async function eventsOf(runId: number): Promise<{ seq: number; type: string }[]> {
    return (await hub.call('GET', `/runs/${runId}/events?limit=5000`)).body;
  }

  it('sends a run joined midway from its first event, live to its end, with no gap and no duplicate', async () => {
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Talk slowly' })).body;
    ollama.script({ text: 'Counting slowly from one to twenty, one piece at a time.', chunkSize: 2, chunkDelayMs: 25 });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    // Joined once some events are recorded and more are still to come.
    while ((await eventsOf(run.id)).length < 4) await new Promise((resolve) => setTimeout(resolve, 20));
    const client = await SocketRecorder.open(`${base}/ws/runs/${run.id}`);
    const closed = await client.closed;
    expect(closed.code).toBe(1000);

    const recorded = await eventsOf(run.id);
    const sent = client.messages.filter((message) => message.type === 'event').map((message) => message.event.seq);
    expect(sent).toEqual(recorded.map((event) => event.seq));
    expect(sent).toEqual(sent.map((_: number, index: number) => index + 1));
    expect(client.messages.at(-1)).toMatchObject({ type: 'end', run: { id: run.id, status: 'succeeded' } });
    // The text the model streamed arrived as it was streamed.
    const text = client.messages
      .filter((message) => message.type === 'event' && message.event.type === 'llm.delta')
      .map((message) => message.event.data.text)
      .join('');
    expect(text).toBe('Counting slowly from one to twenty, one piece at a time.');

    // Reconnecting after an event continues after it.
    const resumed = await SocketRecorder.open(`${base}/ws/runs/${run.id}?after=${recorded.length - 2}`);
    await resumed.closed;
    expect(resumed.messages.map((message) => message.type === 'event' ? message.event.seq : message.type)).toEqual([recorded.length - 1, recorded.length, 'end']);
  });

  it('refuses an unknown run before the upgrade, and answers plain HTTP with 426', async () => {
    await expect(SocketRecorder.open(`${base}/ws/runs/999999`)).rejects.toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    await expect(SocketRecorder.open(`${base}/ws/runs/abc`)).rejects.toMatchObject({ status: 400 });
    const plain = await hub.call('GET', '/ws/runs/1');
    expect([404, 426]).toContain(plain.status);
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Only over a socket' })).body;
    ollama.script({ text: 'ok' });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    const http = await hub.call('GET', `/ws/runs/${run.id}`);
    expect(http.status).toBe(426);
    expect(errorCode(http)).toBe('websocket_required');
    expect((await hub.call('GET', '/ws/events')).status).toBe(426);
    await expect(SocketRecorder.open(`${base}/ws/events?project_id=999999`)).rejects.toMatchObject({ status: 404 });
  });

  it('tells the board every change to tasks, comments and runs, as they happen, for one project or all', async () => {
    const other = (await hub.call('POST', '/projects', { name: 'Elsewhere', workspace_path: 'elsewhere' })).body;
    const everything = await SocketRecorder.open(`${base}/ws/events`);
    const mine = await SocketRecorder.open(`${base}/ws/events?project_id=${projectId}`);
    await everything.next((message) => message.type === 'ready');
    await mine.next((message) => message.type === 'ready');

    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Watched on the board' })).body;
    const elsewhere = (await hub.call('POST', '/tasks', { project_id: other.id, title: 'Not on this board' })).body;
    await hub.call('PATCH', `/tasks/${task.id}`, { priority: 'high' });
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'board.txt', content: 'seen\n' } }] }, { text: 'Wrote board.txt.' });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    await hub.call('DELETE', `/tasks/${elsewhere.id}`);
    await hub.call('DELETE', `/tasks/${task.id}`);

    await mine.next((message) => message.type === 'task.deleted' && message.id === task.id);
    // Each message holds the thing as it was when the message was sent, so the types and their
    // order are fixed; the statuses only ever move forward.
    expect(mine.messages.map((message) => message.type)).toEqual([
      'ready',
      'task.created',
      'task.updated',
      'run.created',
      'task.updated',
      'run.updated',
      'run.updated',
      'task.updated',
      'comment.created',
      'task.deleted',
    ]);
    const taskStatuses = mine.messages.filter((message) => message.task).map((message) => message.task.status);
    expect(taskStatuses[0]).toBe('todo');
    expect(taskStatuses.at(-1)).toBe('review');
    expect(mine.messages.filter((message) => message.run).at(-1).run.status).toBe('succeeded');
    expect(mine.messages.find((message) => message.type === 'task.updated')).toMatchObject({ task: { id: task.id, priority: 'high' } });
    expect(mine.messages.find((message) => message.type === 'comment.created')).toMatchObject({ comment: { task_id: task.id, author: 'wfhub' } });
    expect(mine.messages.find((message) => message.type === 'run.updated' && message.run.status === 'succeeded').run).toMatchObject({ id: run.id, files_changed: ['board.txt'] });

    await everything.next((message) => message.type === 'task.deleted' && message.id === task.id);
    expect(everything.messages).toContainEqual(expect.objectContaining({ type: 'task.created', task: expect.objectContaining({ id: elsewhere.id }) }));
    expect(everything.messages).toContainEqual({ type: 'task.deleted', id: elsewhere.id, project_id: other.id });
    expect(mine.messages.some((message) => message.task?.id === elsewhere.id || message.id === elsewhere.id)).toBe(false);
    everything.close();
    mine.close();
  });

  // Only PostgreSQL has other processes to hear from.
  if (kind === 'postgres') it('tells the board to read again when the connection that hears other processes was lost', async () => {
    const board = await SocketRecorder.open(`${base}/ws/events`);
    await board.next((message) => message.type === 'ready');
    // The LISTEN connection is cut, as a database restart or a network blip would cut it.
    const listening = await hub.services.db.execute(sql`select pid from pg_stat_activity where query = 'listen wfhub_changes'`);
    const pids = (listening as unknown as { rows: { pid: number }[] }).rows.map((row) => row.pid);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) await hub.services.db.execute(sql`select pg_terminate_backend(${pid})`);
    await board.next((message) => message.type === 'resync', 15_000);
    // And changes are heard again after it.
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'After the blip' })).body;
    await board.next((message) => message.type === 'task.created' && message.task.id === task.id);
    board.close();
  });

  it('closes its sockets when the server stops', async () => {
    const extra = await createTestHub(kind, { ollamaHost: ollama.url });
    const url = `${await extra.app.listen({ host: '127.0.0.1', port: 0 })}`.replace(/^http/, 'ws');
    const client = await SocketRecorder.open(`${url}/ws/events`);
    await client.next((message) => message.type === 'ready');
    await extra.close();
    expect((await client.closed).code).toBe(1001);
  });
});
