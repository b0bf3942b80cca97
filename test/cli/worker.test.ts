import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends, createPostgresDatabase, dropPostgresDatabase } from '../helpers/database.js';
import { startWorker } from '../helpers/cli.js';
import { SocketRecorder } from '../helpers/socket-recorder.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';
import type { Change } from '../../src/db/change-feed.js';
import { tempDir } from '../helpers/temp-dir.js';

describe.each(backends().filter((kind) => kind === 'postgres'))('wfhub worker on %s', () => {
  let ollama: FakeOllama;
  let url: string;
  let folder: { dir: string; cleanup: () => void };
  let hub: TestHub;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    url = await createPostgresDatabase();
    folder = tempDir('wfhub-workers-');
    // The hub only triggers (its scheduler is not started): the two worker processes execute.
    hub = await createTestHub('postgres', { databaseUrl: url, workspacesDir: `${folder.dir}/workspaces`, ollamaHost: ollama.url });
  });
  afterAll(async () => {
    for (const child of workers) child.kill('SIGKILL');
    await hub?.close();
    await ollama.stop();
    await dropPostgresDatabase(url);
    folder.cleanup();
  });

  it('two workers on one PostgreSQL database execute twenty runs exactly once each', async () => {
    const env = { DATABASE_URL: url, OLLAMA_HOST: ollama.url, WFHUB_WORKSPACES_DIR: `${folder.dir}/workspaces`, WFHUB_LOG_LEVEL: 'info' };
    const first = await startWorker(folder.dir, env, ['--concurrency', '3']);
    const second = await startWorker(folder.dir, env, ['--concurrency', '3']);
    workers.push(first.child, second.child);

    const project = (await hub.call('POST', '/projects', { name: 'Shared', workspace_path: 'shared' })).body;
    for (let index = 0; index < 20; index++) ollama.script({ text: `Done ${index}.` });
    const runIds: number[] = [];
    for (let index = 0; index < 20; index++) {
      const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: `Task ${index}` })).body;
      runIds.push((await hub.call('POST', `/tasks/${task.id}/trigger`)).body.id);
    }

    // Runs in one folder go one at a time, a busy one coming back 2 s later: on a loaded machine
    // twenty take a while. The deadline only stops a hung test; what is checked is exactly once.
    const deadline = Date.now() + 150_000;
    let runs: { status: string; worker: string | null }[] = [];
    for (;;) {
      runs = await Promise.all(runIds.map(async (id) => (await hub.call('GET', `/runs/${id}`)).body));
      if (runs.every((run) => !['queued', 'running'].includes(run.status)) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(runs.map((run) => run.status), `worker 1:\n${first.output()}\nworker 2:\n${second.output()}`).toEqual(Array(20).fill('succeeded'));
    // Exactly once: twenty model calls in all, and one run.started per run.
    expect(ollama.chatRequests).toHaveLength(20);
    for (const id of runIds) {
      const events = (await hub.call('GET', `/runs/${id}/events?limit=5000`)).body as { type: string }[];
      expect(events.filter((event) => event.type === 'run.started')).toHaveLength(1);
    }
  }, 180_000);

  it("streams live, over the hub's WebSocket, a run that a worker in another process executes", async () => {
    if (workers.length === 0) throw new Error('the workers of the test before are not running');
    const base = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}`.replace(/^http/, 'ws');
    const project = (await hub.call('POST', '/projects', { name: 'Watched', workspace_path: 'watched' })).body;
    const board = await SocketRecorder.open(`${base}/ws/events?project_id=${project.id}`);
    await board.next((message) => message.type === 'ready');
    // What the other process tells this one directly, through PostgreSQL's NOTIFY.
    const heard: Change[] = [];
    const stopListening = hub.services.feed.subscribe((change) => heard.push(change));

    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Run elsewhere' })).body;
    ollama.script({ text: 'Done far away, slowly.', chunkSize: 2, chunkDelayMs: 30 });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    const follower = await SocketRecorder.open(`${base}/ws/runs/${run.id}`);
    expect((await follower.closed).code).toBe(1000);
    stopListening();

    const recorded = (await hub.call('GET', `/runs/${run.id}/events?limit=5000`)).body as { seq: number }[];
    const sent = follower.messages.filter((message) => message.type === 'event').map((message) => message.event.seq);
    expect(sent).toEqual(recorded.map((event) => event.seq));
    expect(follower.messages.at(-1)).toMatchObject({ type: 'end', run: { status: 'succeeded', summary: 'Done far away, slowly.' } });
    expect(heard).toContainEqual(expect.objectContaining({ kind: 'run_event', run_id: run.id }));
    expect(heard).toContainEqual({ kind: 'run', op: 'updated', id: run.id, task_id: task.id, status: 'running' });
    const done = await board.next((message) => message.type === 'task.updated' && message.task.status === 'review');
    expect(done.task.id).toBe(task.id);
    await board.next((message) => message.type === 'comment.created' && message.comment.author === 'wfhub');
    board.close();
  });
});
