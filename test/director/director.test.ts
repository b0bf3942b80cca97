import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Director } from '../../src/director/director.js';
import { FakeOllama } from '../fakes/fake-ollama.js';
import type { ScriptedReply } from '../fakes/scripted-reply.js';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

const write = (file: string, content: string): ScriptedReply => ({ toolCalls: [{ name: 'write', arguments: { path: file, content } }] });
const finish = (summary: string): ScriptedReply => ({ toolCalls: [{ name: 'finish', arguments: { summary } }] });

describe.each(backends())('the director on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let projectId: number;
  let project = 0;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b', firstTokenTimeout: 10, sandbox: 'bwrap' });
    await hub.services.scheduler.start();
    hub.services.director.start();
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });
  beforeEach(async () => {
    // A project of its own per test: its workspace starts empty, its pipeline is the default.
    project++;
    projectId = (await hub.call('POST', '/projects', { name: `Directed ${project}`, workspace_path: `directed-${project}` })).body.id;
    expect(ollama.pendingReplies).toBe(0);
  });

  const workspaceFile = (name: string) => path.join(hub.dir, 'workspaces', `directed-${project}`, name);
  const newTask = async (title: string, extra: Record<string, unknown> = {}) => {
    const answer = await hub.call('POST', '/tasks', { project_id: projectId, title, ...extra });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body as { id: number };
  };
  const pipelineOf = async (taskId: number) => (await hub.call('GET', `/tasks/${taskId}/pipeline`)).body;
  /** The task's pipeline once it is in one of `states` (polled), or as it is after the timeout. */
  const settled = async (taskId: number, states: string[], timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pipeline = await pipelineOf(taskId);
      if ((pipeline && states.includes(pipeline.state)) || Date.now() > deadline) return pipeline;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const until = async (condition: () => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const runsOf = async (taskId: number) => ((await hub.call('GET', `/tasks/${taskId}/runs`)).body as any[]).slice().reverse();
  const nodeNames = async () => new Map(((await hub.call('GET', '/nodes')).body as any[]).map((node) => [node.id, node.name]));
  const commentsOf = async (taskId: number) => ((await hub.call('GET', `/tasks/${taskId}/comments`)).body as any[]).map((comment) => comment.body as string);

  it('sends a task whose check fails back to dev with the failure, then passes it through qa and documentation to done', async () => {
    const task = await newTask('Greet with hello', {
      description: 'greeting.js must export the word hello.',
      acceptance_criteria: [{ text: 'greeting.js says hello', check: 'grep -q hello greeting.js' }, 'The greeting is friendly'],
    });
    ollama.script(
      // dev, first try: the wrong word
      write('greeting.js', "module.exports = 'hi';\n"),
      finish('Wrote greeting.js.'),
      // qa: the check fails before the model is asked; the model agrees
      finish('The greeting says hi, not hello.\nVERDICT: FAIL'),
      // dev again, told what failed
      write('greeting.js', "module.exports = 'hello';\n"),
      finish('greeting.js now says hello.'),
      // qa: the check passes, the model judges the rest
      finish('Friendly enough.\nVERDICT: PASS'),
      // documentation: code changed, so the docs must
      write('README.md', '# Greeting\n\n`require("./greeting")` is "hello".\n'),
      finish('Documented the greeting.'),
    );
    expect((await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true })).status).toBe(200);

    const pipeline = await settled(task.id, ['passed', 'blocked']);
    expect(pipeline).toMatchObject({ state: 'passed', nodes: ['dev', 'qa', 'documentation'], attempt: 2, max_attempts: 3, node: null, failure: null });
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('done');
    expect(readFileSync(workspaceFile('greeting.js'), 'utf8')).toContain('hello');
    expect(ollama.pendingReplies).toBe(0);

    const names = await nodeNames();
    const runs = await runsOf(task.id);
    expect(runs.map((run) => names.get(run.node_id))).toEqual(['dev', 'qa', 'dev', 'qa', 'documentation']);
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    // The first qa run holds the failed check as evidence; the second the passing one.
    const [, firstQa, secondDev, secondQa, docs] = runs;
    expect(firstQa.verdict).toBe('fail');
    expect(firstQa.gates[0]).toMatchObject({ gate: 'acceptance_check', name: 'greeting.js says hello', check: 'grep -q hello greeting.js', passed: false, exit_code: 1, timed_out: false });
    expect(secondQa.verdict).toBe('pass');
    // Only dev is told to fix what failed; the second review is a review.
    expect(secondQa.message).toBeNull();
    expect(secondQa.gates[0]).toMatchObject({ gate: 'acceptance_check', passed: true, exit_code: 0 });
    expect(docs).toMatchObject({ verdict: 'pass', files_changed: ['README.md'] });
    expect(docs.gates).toEqual([expect.objectContaining({ gate: 'docs_changed', passed: true })]);
    // The check ran before the model: its result is in the qa run's events and in its prompt.
    const events = (await hub.call('GET', `/runs/${firstQa.id}/events?limit=1000`)).body.map((event: any) => event.type);
    expect(events.indexOf('gate.result')).toBeLessThan(events.indexOf('run.started'));
    expect(firstQa.prompt).toContain('[FAIL] greeting.js says hello');
    // The developer's second run was told what failed, and so was the task.
    expect(secondDev.message).toContain('grep -q hello greeting.js');
    const comments = await commentsOf(task.id);
    expect(comments.find((body) => body.startsWith('The qa gate failed'))).toMatch(/greeting\.js says hello[\s\S]*exit 1[\s\S]*Back to dev \(attempt 2 of 3\)/);
    expect(comments.at(-1)).toContain('Every stage passed (dev → qa → documentation)');
    // The criterion's box follows its check.
    const criteria = (await hub.call('GET', `/tasks/${task.id}/acceptance-criteria`)).body;
    expect(criteria[0]).toMatchObject({ done: true });
  }, 180_000);

  it('blocks a task whose gate keeps failing at the attempt limit, and a person can still mark it done, saying who and why', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa'], max_attempts: 2 })).status).toBe(200);
    const task = await newTask('Never passes', { acceptance_criteria: [{ text: 'a file named missing exists', check: 'test -f missing' }], autopilot: true });
    ollama.script(finish('Tried.'), finish('VERDICT: FAIL'), finish('Tried again.'), finish('VERDICT: FAIL'));
    const pipeline = await settled(task.id, ['blocked', 'passed']);
    expect(pipeline).toMatchObject({ state: 'blocked', attempt: 2, max_attempts: 2, node: 'qa' });
    expect(pipeline.reason).toContain('attempt 2 of 2');
    expect(pipeline.failure.node).toBe('qa');
    expect(pipeline.failure.gates).toEqual(
      expect.arrayContaining([expect.objectContaining({ check: 'test -f missing', passed: false }), expect.objectContaining({ gate: 'review', passed: false })]),
    );
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('blocked');
    expect(await runsOf(task.id)).toHaveLength(4);

    // Done without passing gates needs a person's word.
    const refused = await hub.call('POST', `/tasks/${task.id}/override`, { reason: 'Checked by hand.' });
    expect(refused.status).toBe(400);
    expect((await hub.call('POST', '/tasks/999999/override', { by: 'Ada', reason: 'x' })).status).toBe(404);
    const overridden = await hub.call('POST', `/tasks/${task.id}/override`, { by: 'Ada', reason: 'The file is made at deploy time.' });
    expect(overridden.status).toBe(200);
    expect(overridden.body.status).toBe('done');
    expect(await pipelineOf(task.id)).toMatchObject({ state: 'overridden', override: { by: 'Ada', reason: 'The file is made at deploy time.' } });
    expect((await commentsOf(task.id)).at(-1)).toBe('Marked done by Ada, overriding the gates: The file is made at deploy time.');
  }, 180_000);

  it('resumes after a restart mid-pipeline without running any stage twice', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa'] })).status).toBe(200);
    const task = await newTask('Survive a restart', { acceptance_criteria: [{ text: 'done.txt exists', check: 'test -f done.txt' }] });
    ollama.script(
      write('done.txt', 'yes\n'),
      finish('Made done.txt.'),
      // qa's model never answers: the server stops meanwhile
      { kind: 'hang', when: 'before-headers' },
    );
    const asked = ollama.chatRequests.length;
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true });
    const names = await nodeNames();
    await until(() => ollama.chatRequests.length === asked + 3);
    // The restart: the director and the runs stop, as `wfhub serve` does on SIGTERM.
    await hub.services.director.stop();
    await hub.services.scheduler.stop();
    // The qa run that was stopped changed nothing, so the runs machinery queued it again itself.
    const [, interrupted, retry] = await runsOf(task.id);
    expect(interrupted).toMatchObject({ status: 'interrupted' });
    expect(retry).toMatchObject({ status: 'queued', retry_of: interrupted.id });
    ollama.script(finish('Checked.\nVERDICT: PASS'));
    await hub.services.scheduler.start();
    hub.services.director.start();

    expect(await settled(task.id, ['passed', 'blocked'])).toMatchObject({ state: 'passed' });
    const runs = await runsOf(task.id);
    // dev ran once; qa's interrupted run was tried again once, as its own retry.
    expect(runs.map((run) => [names.get(run.node_id), run.status])).toEqual([
      ['dev', 'succeeded'],
      ['qa', 'interrupted'],
      ['qa', 'succeeded'],
    ]);
    expect(runs[2].retry_of).toBe(runs[1].id);
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('done');
  }, 180_000);

  it('stops the pipeline when its run is cancelled, and goes on from there when autopilot is on again', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev'] })).status).toBe(200);
    const task = await newTask('Cancelled on the way');
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const asked = ollama.chatRequests.length;
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true });
    const running = await settled(task.id, ['running']);
    expect(running.run_id).toBeTruthy();
    await until(() => ollama.chatRequests.length === asked + 1);
    await hub.call('POST', `/runs/${running.run_id}/cancel`);
    const stopped = await settled(task.id, ['stopped']);
    expect(stopped.reason).toContain('was cancelled, so autopilot is off');
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.autopilot).toBe(false);

    ollama.script(finish('Done this time.'));
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true });
    expect(await settled(task.id, ['passed'])).toMatchObject({ state: 'passed' });
    expect(await runsOf(task.id)).toHaveLength(2);
  }, 180_000);

  it('starts a task on autopilot once the tasks it waits for are done', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev'] })).status).toBe(200);
    const first = await newTask('Lay the foundation');
    const second = await newTask('Build on it', { blocked_by: [first.id], autopilot: true });
    await expect.poll(async () => (await pipelineOf(second.id))?.reason, { timeout: 60_000 }).toBe(`Waiting for task #${first.id} to be done.`);
    const waiting = await pipelineOf(second.id);
    expect(waiting).toMatchObject({ state: 'waiting', waiting_for: [first.id], run_id: null });
    expect(waiting.reason).toBe(`Waiting for task #${first.id} to be done.`);
    expect(await runsOf(second.id)).toHaveLength(0);

    ollama.script(finish('Built on the foundation.'));
    expect((await hub.call('PATCH', `/tasks/${first.id}`, { status: 'done' })).status).toBe(200);
    expect(await settled(second.id, ['passed'])).toMatchObject({ state: 'passed', waiting_for: [] });
    expect(await runsOf(second.id)).toHaveLength(1);
    expect((await hub.call('GET', `/tasks/${second.id}`)).body.status).toBe('done');
  }, 180_000);

  it('lets the pm split a task into subtasks that go through the pipeline, then finishes the task itself', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['pm', 'dev'] })).status).toBe(200);
    const task = await newTask('Two files');
    const plan = { subtasks: [{ title: 'Make a.txt', acceptance_criteria: [{ text: 'a.txt exists', check: 'test -f a.txt' }] }, { title: 'Make b.txt' }] };
    ollama.script(
      // The pm's first answer is not a plan: it is asked again, told why.
      finish('Here is my plan: make two files.'),
      finish(`The plan:\n\`\`\`json\n${JSON.stringify(plan)}\n\`\`\``),
      // One run per subtask, in whichever order they take the workspace.
      finish('Done.'),
      finish('Done.'),
    );
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true });
    expect(await settled(task.id, ['passed', 'blocked'])).toMatchObject({ state: 'passed' });

    const subtasks = (await hub.call('GET', `/projects/${projectId}/tasks?parent=${task.id}`)).body;
    expect(subtasks.map((subtask: any) => [subtask.title, subtask.status, subtask.autopilot, subtask.pipeline.nodes])).toEqual([
      ['Make a.txt', 'done', true, ['dev']],
      ['Make b.txt', 'done', true, ['dev']],
    ]);
    const criteria = (await hub.call('GET', `/tasks/${subtasks[0].id}/acceptance-criteria`)).body;
    expect(criteria).toMatchObject([{ text: 'a.txt exists', check: 'test -f a.txt' }]);
    // The task's own dev stage was left to its subtasks; the pm ran twice, the second time told why.
    const names = await nodeNames();
    const runs = await runsOf(task.id);
    expect(runs.map((run) => [names.get(run.node_id), run.verdict])).toEqual([
      ['pm', 'fail'],
      ['pm', 'pass'],
    ]);
    expect(runs[0].gates[0]).toMatchObject({ gate: 'plan', passed: false });
    expect(runs[1].message).toContain('The summary holds no plan');
    expect(runs[1].prompt).toContain('"subtasks"');
    expect((await commentsOf(task.id)).join('\n')).toContain(`split the task into 2 subtasks (#${subtasks[0].id}, #${subtasks[1].id})`);
  }, 180_000);

  it('sends a change holding a secret back to dev from the security stage, with the secret kept out of the comment', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'security'] })).status).toBe(200);
    const task = await newTask('Configure the client');
    // A key in AWS's documented format, put together here so this file holds none.
    const key = ['AKIA', 'Q3EGRTLZ', '7MXN4WPD'].join('');
    ollama.script(
      write('config.js', `module.exports = { key: '${key}' };\n`),
      finish('Configured.'),
      finish('Looks fine to me.\nVERDICT: PASS'),
      write('config.js', 'module.exports = { key: process.env.CLIENT_KEY };\n'),
      finish('The key comes from the environment now.'),
      finish('VERDICT: PASS'),
    );
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true });
    expect(await settled(task.id, ['passed', 'blocked'])).toMatchObject({ state: 'passed', attempt: 2 });
    const names = await nodeNames();
    const runs = await runsOf(task.id);
    expect(runs.map((run) => [names.get(run.node_id), run.verdict])).toEqual([
      ['dev', null],
      ['security', 'fail'],
      ['dev', null],
      ['security', 'pass'],
    ]);
    // The scan decided, whatever the model said; the audit was skipped (no lockfile).
    expect(runs[1].gates.map((gate: any) => [gate.gate, gate.passed, gate.skipped])).toEqual([
      ['secret_scan', false, false],
      ['dependency_audit', true, true],
      ['review', true, false],
    ]);
    expect(runs[1].gates[0].output_tail).toContain('config.js:1');
    const comments = await commentsOf(task.id);
    expect(comments.find((body) => body.startsWith('The security gate failed'))).toContain('AWS');
    expect(comments.join('\n')).not.toContain(key);
    expect(JSON.stringify(runs[1].gates)).not.toContain(key);
  }, 180_000);

  it('refuses to mark a task in its pipeline done by hand, and to delete a role a pipeline names', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa'] })).status).toBe(200);
    const task = await newTask('Not done yet', { autopilot: true, blocked_by: [(await newTask('Blocker')).id] });
    await settled(task.id, ['waiting']);
    const refused = await hub.call('PATCH', `/tasks/${task.id}`, { status: 'done', title: 'Renamed' });
    expect(refused.status).toBe(409);
    expect(errorCode(refused)).toBe('gates_not_passed');
    expect(refused.body.error.message).toContain(`POST /tasks/${task.id}/override`);
    expect((await hub.call('GET', `/tasks/${task.id}`)).body).toMatchObject({ title: 'Not done yet', status: 'todo' });
    // Tasks never put on autopilot keep the plain workflow.
    const plain = await newTask('Plain');
    expect((await hub.call('PATCH', `/tasks/${plain.id}`, { status: 'done' })).status).toBe(200);

    const role = (await hub.call('POST', '/nodes', { name: `reviewer-${project}`, directive: 'Review it.' })).body;
    await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', role.name] });
    const inUse = await hub.call('DELETE', `/nodes/${role.id}`);
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.message).toContain(`project ${projectId}`);
    await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev'] });
    expect((await hub.call('DELETE', `/nodes/${role.id}`)).status).toBe(204);
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: false });
  }, 180_000);

  it('lets two directors watch the same tasks without either starting a stage twice', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa'] })).status).toBe(200);
    const { db, feed, runs, scheduler, pipelines } = hub.services;
    const second = new Director(db, feed, runs, scheduler, pipelines, { sweepMs: 200 });
    second.start();
    try {
      const tasks = [await newTask('First of two'), await newTask('Second of two')];
      ollama.script(finish('Done.'), finish('Done.'), finish('VERDICT: PASS'), finish('VERDICT: PASS'));
      await Promise.all(tasks.map((task) => hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true })));
      const names = await nodeNames();
      for (const task of tasks) {
        expect(await settled(task.id, ['passed', 'blocked'])).toMatchObject({ state: 'passed' });
        expect((await runsOf(task.id)).map((run) => names.get(run.node_id))).toEqual(['dev', 'qa']);
      }
    } finally {
      await second.stop();
    }
  }, 180_000);

  it('fails a reviewer that changes the work, and sends the change to dev', async () => {
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa'], max_attempts: 1 })).status).toBe(200);
    const task = await newTask('Reviewed, not rewritten', { acceptance_criteria: [{ text: 'app.js exists', check: 'test -f app.js' }] });
    ollama.script(
      write('app.js', "module.exports = 'right';\n"),
      finish('Wrote app.js.'),
      // qa "fixes" the work after its check passed, and says all is well
      write('app.js', "module.exports = 'changed by qa';\n"),
      finish('Tidied it up.\nVERDICT: PASS'),
    );
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true });
    const pipeline = await settled(task.id, ['blocked', 'passed']);
    expect(pipeline.state).toBe('blocked');
    expect(pipeline.failure.gates).toEqual([expect.objectContaining({ gate: 'review', name: 'Changed only what the role may change', passed: false })]);
    expect(pipeline.failure.gates[0].output_tail).toContain('The qa role changed app.js');
    expect((await runsOf(task.id)).at(-1)).toMatchObject({ verdict: 'fail' });
  }, 180_000);

  it('turns the pm\'s plan into the task\'s own criteria where each task works on a branch of its own', async () => {
    expect((await hub.call('PATCH', `/projects/${projectId}`, { settings: { isolation: 'worktree' } })).status).toBe(200);
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['pm', 'dev'] })).status).toBe(200);
    const task = await newTask('Planned on a branch');
    const plan = { subtasks: [{ title: 'Make a.txt', acceptance_criteria: [{ text: 'a.txt exists', check: 'test -f a.txt' }] }, { title: 'Make b.txt' }] };
    ollama.script(finish(`\`\`\`json\n${JSON.stringify(plan)}\n\`\`\``), write('a.txt', 'a\n'), finish('Made both.'));
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true });
    expect(await settled(task.id, ['passed', 'blocked'])).toMatchObject({ state: 'passed' });
    expect((await hub.call('GET', `/projects/${projectId}/tasks?parent=${task.id}`)).body).toEqual([]);
    const criteria = (await hub.call('GET', `/tasks/${task.id}/acceptance-criteria`)).body;
    expect(criteria.map((criterion: any) => [criterion.text, criterion.check])).toEqual([
      ['Make a.txt', null],
      ['a.txt exists', 'test -f a.txt'],
      ['Make b.txt', null],
    ]);
    const names = await nodeNames();
    expect((await runsOf(task.id)).map((run) => names.get(run.node_id))).toEqual(['pm', 'dev']);
  }, 180_000);

  it('keeps and validates a project\'s pipeline', async () => {
    expect((await hub.call('GET', `/projects/${projectId}/pipeline`)).body).toMatchObject({
      nodes: ['dev', 'qa', 'documentation'],
      max_attempts: 3,
      check_timeout_seconds: 300,
      is_default: true,
    });
    const put = await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['PM', 'dev', 'qa', 'security', 'documentation'], max_attempts: 5 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ nodes: ['pm', 'dev', 'qa', 'security', 'documentation'], max_attempts: 5, is_default: false });
    expect((await hub.call('GET', `/projects/${projectId}/pipeline`)).body.nodes).toEqual(['pm', 'dev', 'qa', 'security', 'documentation']);

    const unknown = await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'wizard'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('The roles are:');
    const twice = await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa', 'dev'] });
    expect(twice.status).toBe(422);
    expect(errorCode(twice)).toBe('duplicate_node');
    for (const body of [{ nodes: [] }, { nodes: 'dev' }, { nodes: ['dev'], max_attempts: 0 }, { nodes: ['dev'], extra: 1 }, {}]) {
      const answer = await hub.call('PUT', `/projects/${projectId}/pipeline`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect((await hub.call('GET', '/projects/999999/pipeline')).status).toBe(404);
    expect((await hub.call('PUT', '/projects/999999/pipeline', { nodes: ['dev'] })).status).toBe(404);
    // Nothing refused was kept.
    expect((await hub.call('GET', `/projects/${projectId}/pipeline`)).body).toMatchObject({ nodes: ['pm', 'dev', 'qa', 'security', 'documentation'], max_attempts: 5 });
    // A task never on autopilot has no pipeline yet.
    const task = await newTask('Manual');
    expect((await hub.call('GET', `/tasks/${task.id}/pipeline`)).body).toBeNull();
  });
});
