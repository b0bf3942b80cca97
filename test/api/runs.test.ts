import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('runs on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let projectId: number;
  const workspaceFile = (name: string) => path.join(hub.dir, 'workspaces', 'poc', name);

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b', firstTokenTimeout: 10 });
    await hub.services.scheduler.start();
    projectId = (await hub.call('POST', '/projects', { name: 'POC', workspace_path: 'poc' })).body.id;
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });
  beforeEach(() => {
    ollama.chatRequests.length = 0;
  });

  const newTask = async (title: string, extra: Record<string, unknown> = {}) =>
    (await hub.call('POST', '/tasks', { project_id: projectId, title, ...extra })).body as { id: number };


  it("runs the seed's flow: trigger, the agent writes the file, the run and the task record it", async () => {
    const task = await newTask('Create hello.txt', { description: 'It says hi.', acceptance_criteria: ['hello.txt exists'] });
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'hello.txt', content: 'hi\n' } }], promptTokens: 800, completionTokens: 40 },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Created hello.txt saying hi.' } }], promptTokens: 900, completionTokens: 10 },
    );
    const triggered = await hub.call('POST', `/tasks/${task.id}/trigger`);
    expect(triggered.status).toBe(202);
    expect(triggered.body).toMatchObject({ task_id: task.id, status: 'queued', executor: 'builtin' });
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('in_progress');

    const run = await hub.ended(triggered.body.id);
    expect(run).toMatchObject({
      status: 'succeeded',
      summary: 'Created hello.txt saying hi.',
      files_changed: ['hello.txt'],
      steps: 2,
      prompt_tokens: 1700,
      completion_tokens: 50,
      model: 'qwen2.5-coder:3b',
      provider: 'ollama',
      error: null,
    });
    expect(run.prompt).toContain('# Task: Create hello.txt');
    expect(run.prompt).toContain('- [ ] hello.txt exists');
    expect(readFileSync(workspaceFile('hello.txt'), 'utf8')).toBe('hi\n');
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('review');

    const events = await hub.call('GET', `/runs/${run.id}/events?limit=5000`);
    expect(events.body[0]).toMatchObject({ seq: 1, type: 'run.started' });
    expect(events.body.at(-1)).toMatchObject({ type: 'run.finished' });
    expect(events.body.map((event: { seq: number }) => event.seq)).toEqual(events.body.map((_: unknown, index: number) => index + 1));
    expect(Number(events.headers['x-total-count'])).toBe(events.body.length);
    const later = await hub.call('GET', `/runs/${run.id}/events?after=3&limit=2`);
    expect(later.body.map((event: { seq: number }) => event.seq)).toEqual([4, 5]);

    const comments = (await hub.call('GET', `/tasks/${task.id}/comments`)).body;
    expect(comments.at(-1)).toMatchObject({ author: 'wfhub' });
    expect(comments.at(-1).body).toContain(`Run ${run.id} finished.`);
    expect(comments.at(-1).body).toContain('Files changed: hello.txt');

    const listed = await hub.call('GET', `/tasks/${task.id}/runs`);
    expect(listed.body.map((item: { id: number }) => item.id)).toEqual([run.id]);
    expect(run.worker).toContain(`:${process.pid}:`);
  });

  it('refuses to delete a task, or its project, while its run is running, and says how to cancel it', async () => {
    const doomed = (await hub.call('POST', '/projects', { name: 'Doomed', workspace_path: 'doomed' })).body;
    const parent = (await hub.call('POST', '/tasks', { project_id: doomed.id, title: 'Parent' })).body;
    const child = (await hub.call('POST', '/tasks', { project_id: doomed.id, parent_id: parent.id, title: 'Busy child' })).body;
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const run = (await hub.call('POST', `/tasks/${child.id}/trigger`)).body;
    while (ollama.chatRequests.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const url of [`/tasks/${child.id}`, `/tasks/${parent.id}`, `/projects/${doomed.id}`]) {
      const refused = await hub.call('DELETE', url);
      expect(refused.status, url).toBe(409);
      expect(errorCode(refused)).toBe('run_active');
      expect(refused.body.error.message).toContain(`POST /runs/${run.id}/cancel`);
    }
    expect((await hub.call('GET', `/tasks/${child.id}`)).status).toBe(200);
    await hub.call('POST', `/runs/${run.id}/cancel`);
    expect((await hub.call('DELETE', `/projects/${doomed.id}`)).status).toBe(204);
  });

  it('answers the ended run with ?wait=true', async () => {
    const task = await newTask('Say hi');
    ollama.script({ text: 'Nothing to change; hi is already there.' });
    const answer = await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`, { message: 'Be brief.' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'succeeded', message: 'Be brief.' });
    expect(answer.body.prompt).toContain('Be brief.');
  });

  it('records a failed run, fails the task and says why in a comment', async () => {
    const task = await newTask('Use a missing model');
    const answer = await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`, { model: 'absent:7b' });
    expect(answer.body).toMatchObject({ status: 'failed', error: { code: 'llm_model_not_found' } });
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('failed');
    const comments = (await hub.call('GET', `/tasks/${task.id}/comments`)).body;
    expect(comments.at(-1).body).toContain('ollama pull absent:7b');
  });

  it('refuses a second run while one is active, and cancels a running one', async () => {
    const task = await newTask('Wait for ever');
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const first = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    const second = await hub.call('POST', `/tasks/${task.id}/trigger`);
    expect(second.status).toBe(409);
    expect(errorCode(second)).toBe('run_active');
    expect(second.body.error.message).toContain(`/runs/${first.id}/cancel`);

    while (ollama.chatRequests.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const cancelled = await hub.call('POST', `/runs/${first.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('todo');
    const again = await hub.call('POST', `/runs/${first.id}/cancel`);
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('run_finished');
  });

  it('refuses bad triggers with a clear 4xx and creates no run', async () => {
    const task = await newTask('Bad triggers');
    expect((await hub.call('POST', '/tasks/999999/trigger')).status).toBe(404);
    const badNode = await hub.call('POST', `/tasks/${task.id}/trigger`, { node: 'wizard' });
    expect(badNode.status).toBe(404);
    expect(badNode.body.error.message).toContain('pm, dev, qa');
    expect((await hub.call('POST', `/tasks/${task.id}/trigger`, { modle: 'x' })).status).toBe(400);
    expect((await hub.call('GET', `/tasks/${task.id}/runs`)).body).toEqual([]);
    expect((await hub.call('GET', '/runs/999999')).status).toBe(404);
    expect((await hub.call('GET', '/runs/999999/events')).status).toBe(404);
  });

  it('leaves nothing "running" after a crash: an abandoned run becomes interrupted at start', async () => {
    const task = await newTask('Crashed mid-run');
    // What a crash leaves: a running run whose lease has run out, and no process working on it,
    // after it had written a file.
    await hub.services.scheduler.stop();
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    await hub.services.db.execute(sql`update task_runs set status = 'running', worker = 'gone', lease_expires_at = now() - interval '1 minute' where id = ${run.id}`);
    await hub.services.runs.appendEvent(run.id, { seq: 1, type: 'tool.called', data: { type: 'tool.called', name: 'write', arguments: { path: 'half.txt' } } });
    await hub.services.scheduler.start();
    const after = (await hub.call('GET', `/runs/${run.id}`)).body;
    expect(after).toMatchObject({ status: 'interrupted', error: { code: 'interrupted' } });
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('todo');
    // It may have changed files: it is not tried again by itself.
    expect((await hub.call('GET', `/tasks/${task.id}/runs`)).body).toHaveLength(1);
    expect((await hub.call('GET', `/tasks/${task.id}/comments`)).body.at(-1).body).toContain(`Run ${run.id} interrupted`);
  });

  it('tries a run interrupted before it changed anything again, once, by itself', async () => {
    const task = await newTask('Interrupted while reading');
    await hub.services.scheduler.stop();
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`, { message: 'Look first.', model: 'qwen2.5-coder:3b' })).body;
    await hub.services.db.execute(sql`update task_runs set status = 'running', worker = 'gone', lease_expires_at = now() - interval '1 minute' where id = ${run.id}`);
    await hub.services.runs.appendEvent(run.id, { seq: 1, type: 'tool.called', data: { type: 'tool.called', name: 'read', arguments: { path: 'README.md' } } });
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'second-try.txt', content: 'ok\n' } }] }, { text: 'Done on the second try.' });
    await hub.services.scheduler.start();

    expect((await hub.call('GET', `/runs/${run.id}`)).body).toMatchObject({ status: 'interrupted', attempt: 1 });
    const runs = (await hub.call('GET', `/tasks/${task.id}/runs`)).body;
    expect(runs).toHaveLength(2);
    const retry = runs[0];
    expect(retry).toMatchObject({ attempt: 2, retry_of: run.id, message: 'Look first.', model: 'qwen2.5-coder:3b' });
    expect(await hub.ended(retry.id)).toMatchObject({ status: 'succeeded', summary: 'Done on the second try.' });
    expect(readFileSync(workspaceFile('second-try.txt'), 'utf8')).toBe('ok\n');
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('review');
    const comments = (await hub.call('GET', `/tasks/${task.id}/comments`)).body.map((comment: { body: string }) => comment.body);
    expect(comments.find((body: string) => body.startsWith(`Run ${run.id} interrupted`))).toContain(`tried again as run ${retry.id}`);

    // A retry interrupted in its turn is not tried a third time.
    await hub.services.scheduler.stop();
    const third = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    await hub.services.db.execute(sql`update task_runs set status = 'running', attempt = 2, worker = 'gone', lease_expires_at = now() - interval '1 minute' where id = ${third.id}`);
    await hub.services.scheduler.start();
    expect((await hub.call('GET', `/runs/${third.id}`)).body.status).toBe('interrupted');
    expect((await hub.call('GET', `/tasks/${task.id}/runs`)).body).toHaveLength(3);
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('todo');
  });

  it('marks a running run interrupted, not cancelled, when wfhub stops, and tries it again at the next start', async () => {
    const task = await newTask('Running at shutdown');
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    // Running, and waiting on the model (so the scripted hang is used by this run, not a later one).
    while (ollama.chatRequests.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    await hub.services.scheduler.stop();
    const after = await hub.ended(run.id);
    expect(after).toMatchObject({ status: 'interrupted', error: { code: 'interrupted' } });
    // It had only waited for the model: its retry waits in the queue for the next start.
    const [retry] = (await hub.call('GET', `/tasks/${task.id}/runs`)).body;
    expect(retry).toMatchObject({ status: 'queued', retry_of: run.id });
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('in_progress');
    ollama.script({ text: 'Finished after the restart.' });
    await hub.services.scheduler.start();
    expect(await hub.ended(retry.id)).toMatchObject({ status: 'succeeded', summary: 'Finished after the restart.' });
  });

  it('streams a run as Server-Sent Events: recorded events, then live ones, no gap, no duplicate, then end', async () => {
    const task = await newTask('Stream me');
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'streamed.txt', content: 'x\n' } }], firstByteDelayMs: 300 },
      { text: 'Wrote streamed.txt, step by step.', chunkSize: 3, chunkDelayMs: 20 },
    );
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    // Connect while the run is still going: what was recorded comes first, the rest as it happens.
    const streamed = await hub.app.inject({ method: 'GET', url: `/runs/${run.id}/stream` });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.headers['content-type']).toContain('text/event-stream');
    const blocks = streamed.body.trim().split('\n\n');
    const ids = blocks.filter((block) => block.startsWith('id: ')).map((block) => Number(block.split('\n')[0]!.slice(4)));
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    const recorded = (await hub.call('GET', `/runs/${run.id}/events?limit=5000`)).body;
    expect(ids).toHaveLength(recorded.length);
    expect(blocks.at(-1), blocks.at(-1)).toMatch(/^event: end\ndata: .*"status":"succeeded"/);

    // Reconnecting with Last-Event-ID continues after it.
    const resumed = await hub.app.inject({ method: 'GET', url: `/runs/${run.id}/stream`, headers: { 'last-event-id': String(ids.length - 2) } });
    const resumedIds = resumed.body.split('\n\n').filter((block) => block.startsWith('id: ')).map((block) => Number(block.split('\n')[0]!.slice(4)));
    expect(resumedIds).toEqual([ids.length - 1, ids.length]);
    expect((await hub.call('GET', '/runs/999999/stream')).status).toBe(404);
  });

  it('runs of tasks in the same workspace take turns, instead of editing it at the same time', async () => {
    const first = await newTask('First in the workspace');
    const second = await newTask('Second in the workspace');
    ollama.script({ text: 'First done.', firstByteDelayMs: 1200 }, { text: 'Second done.' });
    const runA = (await hub.call('POST', `/tasks/${first.id}/trigger`)).body;
    const runB = (await hub.call('POST', `/tasks/${second.id}/trigger`)).body;
    const [a, b] = [await hub.ended(runA.id), await hub.ended(runB.id)];
    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
    const [earlier, later] = new Date(a.started_at) < new Date(b.started_at) ? [a, b] : [b, a];
    expect(new Date(later.started_at).getTime()).toBeGreaterThanOrEqual(new Date(earlier.finished_at).getTime());
  });

  it("applies a project's own limits from its settings, and says when one is malformed", async () => {
    const limited = (await hub.call('POST', '/projects', { name: 'Limited', workspace_path: 'limited', settings: { max_steps: 1 } })).body;
    const task = (await hub.call('POST', '/tasks', { project_id: limited.id, title: 'Two steps' })).body;
    ollama.script({ toolCalls: [{ name: 'glob', arguments: { pattern: '*' } }] });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(run).toMatchObject({ status: 'failed', steps: 1, error: { code: 'step_limit' } });
    expect(run.error.message).toContain(`the project's settings.max_steps, PATCH /projects/${limited.id}`);

    // A malformed limit is refused when written, and the project keeps its settings.
    const refused = await hub.call('PATCH', `/projects/${limited.id}`, { settings: { max_steps: 'many' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('settings.max_steps');
    expect((await hub.call('GET', `/projects/${limited.id}`)).body.settings).toEqual({ max_steps: 1 });
    // One written before settings were checked (straight into the database) fails the run with what to fix.
    await hub.services.db.execute(sql`update projects set settings = '{"max_steps": "many"}'::jsonb where id = ${limited.id}`);
    const broken = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(broken).toMatchObject({ status: 'failed' });
    expect(broken.error.message).toContain('settings.max_steps');
  });

  it("applies a role's limits too: the tighter of the role's and the project's holds", async () => {
    const roomy = (await hub.call('POST', '/projects', { name: 'Roomy', workspace_path: 'roomy', settings: { max_steps: 5 } })).body;
    const qa = (await hub.call('GET', '/nodes')).body.find((node: { name: string }) => node.name === 'qa');
    expect((await hub.call('PATCH', `/nodes/${qa.id}`, { max_steps: 0 })).status).toBe(400);
    expect((await hub.call('PATCH', `/nodes/${qa.id}`, { max_run_minutes: 100_000 })).status).toBe(400);
    const patched = await hub.call('PATCH', `/nodes/${qa.id}`, { max_steps: 1 });
    expect(patched.body).toMatchObject({ max_steps: 1, max_run_minutes: null, token_budget: null });
    try {
      const task = (await hub.call('POST', '/tasks', { project_id: roomy.id, title: 'Checked by qa', node: 'qa' })).body;
      ollama.script({ toolCalls: [{ name: 'glob', arguments: { pattern: '*' } }] });
      const byQa = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
      expect(byQa).toMatchObject({ status: 'failed', steps: 1, error: { code: 'step_limit' } });
      expect(byQa.error.message).toContain(`the qa role's max_steps, PATCH /nodes/${qa.id}`);
      // The same task as dev (no limit of its own) gets the project's five steps.
      ollama.script({ toolCalls: [{ name: 'glob', arguments: { pattern: '*' } }] }, { text: 'Nothing to do.' });
      const byDev = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`, { node: 'dev' })).body;
      expect(byDev).toMatchObject({ status: 'succeeded', steps: 2 });
    } finally {
      expect((await hub.call('PATCH', `/nodes/${qa.id}`, { max_steps: null })).body.max_steps).toBeNull();
    }
  });

  it("interrupts, while working, a run whose worker stopped renewing its lease", async () => {
    const task = await newTask('Worker died');
    // A run another worker claimed (no job left for it here), with a lease still valid.
    const inserted = await hub.services.db.execute(
      sql`insert into task_runs (task_id, status, worker, lease_expires_at) values (${task.id}, 'running', 'elsewhere', now() + interval '1 hour') returning id`,
    );
    const run = { id: Number((inserted as unknown as { rows: { id: number }[] }).rows[0]!.id) };
    await hub.services.scheduler.sweep();
    expect((await hub.call('GET', `/runs/${run.id}`)).body.status).toBe('running');
    await hub.services.db.execute(sql`update task_runs set lease_expires_at = now() - interval '1 second' where id = ${run.id}`);
    ollama.script({ text: 'Done by the retry.' });
    await hub.services.scheduler.sweep();
    expect((await hub.call('GET', `/runs/${run.id}`)).body).toMatchObject({ status: 'interrupted', error: { code: 'interrupted' } });
    const [retry] = (await hub.call('GET', `/tasks/${task.id}/runs`)).body;
    expect(retry.retry_of).toBe(run.id);
    expect(await hub.ended(retry.id)).toMatchObject({ status: 'succeeded' });
  });

  it('lets a running run finish within the grace period when wfhub stops', async () => {
    const task = await newTask('Almost done at shutdown');
    ollama.script({ text: 'Finished in time.', firstByteDelayMs: 700 });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    while (ollama.chatRequests.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await hub.services.scheduler.stop({ graceMs: 10_000 });
    expect((await hub.call('GET', `/runs/${run.id}`)).body).toMatchObject({ status: 'succeeded', summary: 'Finished in time.' });
    await hub.services.scheduler.start();
  });

  it('stops for good when asked to stop while it is still starting', async () => {
    await hub.services.scheduler.stop();
    const starting = hub.services.scheduler.start();
    await hub.services.scheduler.stop();
    await starting;
    const task = await newTask('Not taken while stopped');
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await hub.call('GET', `/runs/${run.id}`)).body.status).toBe('queued');
    ollama.script({ text: 'Taken once started again.' });
    await hub.services.scheduler.start();
    expect(await hub.ended(run.id)).toMatchObject({ status: 'succeeded', summary: 'Taken once started again.' });
  });

  it('takes up at start a queued run whose job was lost', async () => {
    const task = await newTask('Lost its job');
    await hub.services.scheduler.stop();
    // Recorded as queued, but no job sent: what a crash between taking a job and claiming leaves.
    const run = await hub.services.runs.create(task.id, {}, async () => {});
    ollama.script({ text: 'Picked up again.' });
    await hub.services.scheduler.start();
    expect(await hub.ended(run.id)).toMatchObject({ status: 'succeeded', summary: 'Picked up again.' });
  });
});
