import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { taskPipelineTable } from '../../src/director/task-pipeline.sql.js';
import { runTable } from '../../src/runs/run.sql.js';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

/**
 * The director's moves, with each stage's run ended directly through the run records (no worker
 * takes them): every outcome a run can have, at the moment a test chooses.
 */
describe.each(backends())("the director's moves on %s", (kind) => {
  let hub: TestHub;
  let projectId: number;
  let project = 0;

  beforeAll(async () => {
    hub = await createTestHub(kind, {});
    hub.services.director.start();
  });
  afterAll(async () => hub?.close());
  beforeEach(async () => {
    project++;
    projectId = (await hub.call('POST', '/projects', { name: `Moves ${project}`, workspace_path: `moves-${project}` })).body.id;
  });

  const newTask = async (title: string, extra: Record<string, unknown> = {}) => (await hub.call('POST', '/tasks', { project_id: projectId, title, ...extra })).body as { id: number };
  const pipelineOf = async (taskId: number) => (await hub.call('GET', `/tasks/${taskId}/pipeline`)).body;
  const until = async (taskId: number, ok: (pipeline: any) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pipeline = await pipelineOf(taskId);
      if ((pipeline && ok(pipeline)) || Date.now() > deadline) return pipeline;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  /** The stage's run once the director has started it (a new one, not in `seen`). */
  const stageRun = (taskId: number, seen: number[] = []) => until(taskId, (pipeline) => pipeline.state === 'running' && !seen.includes(pipeline.run_id));
  const end = (runId: number, outcome: Parameters<TestHub['services']['runs']['finish']>[1]) => hub.services.runs.finish(runId, outcome);
  const succeed = (runId: number, summary = 'Done.', verdict: 'pass' | 'fail' | null = null) => end(runId, { status: 'succeeded', summary, verdict });
  const nodesRun = async (taskId: number) => {
    const names = new Map(((await hub.call('GET', '/nodes')).body as any[]).map((node) => [node.id, node.name]));
    return ((await hub.call('GET', `/tasks/${taskId}/runs`)).body as any[]).reverse().map((run) => names.get(run.node_id));
  };

  it('counts a run interrupted after it changed files as an attempt, and blocks the task at the limit', async () => {
    await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa'], max_attempts: 2 });
    const task = await newTask('Keeps crashing', { autopilot: true });
    const first = await stageRun(task.id);
    await end(first.run_id, { status: 'interrupted', error: { code: 'interrupted', message: 'crash' }, filesChanged: ['a.txt'] });
    const second = await stageRun(task.id, [first.run_id]);
    expect(second).toMatchObject({ node: 'dev', attempt: 2 });
    await end(second.run_id, { status: 'interrupted', error: { code: 'interrupted', message: 'crash' }, filesChanged: ['a.txt'] });
    const blocked = await until(task.id, (pipeline) => pipeline.state === 'blocked');
    expect(blocked.reason).toContain('was interrupted after it had started changing files');
    expect(await nodesRun(task.id)).toEqual(['dev', 'dev']);
  });

  it("goes on from the stage after the one that ended while autopilot was off, instead of running it again", async () => {
    await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev', 'qa'] });
    const task = await newTask('Paused', { autopilot: true });
    const dev = await stageRun(task.id);
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: false });
    await succeed(dev.run_id);
    expect(await until(task.id, (pipeline) => pipeline.state === 'stopped')).toMatchObject({ reason: 'Autopilot was turned off.' });
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: true });
    expect(await stageRun(task.id, [dev.run_id])).toMatchObject({ node: 'qa' });
    expect(await nodesRun(task.id)).toEqual(['dev', 'qa']);
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: false });
  });

  it('starts a reopened task afresh, its new runs counted from the new round, and a reopened split task develops itself', async () => {
    await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['pm', 'dev'] });
    const task = await newTask('Split, then reopened', { autopilot: true });
    const plan = (subtasks: unknown[]) => `Plan:\n\`\`\`json\n${JSON.stringify({ subtasks })}\n\`\`\``;
    const pm = await stageRun(task.id);
    await succeed(pm.run_id, plan([{ title: 'Part one' }]), 'pass');
    expect((await until(task.id, (pipeline) => pipeline.state === 'waiting' && pipeline.reason !== null)).reason).toContain('subtasks');
    const [subtask] = (await hub.call('GET', `/projects/${projectId}/tasks?parent=${task.id}`)).body;
    await succeed((await stageRun(subtask.id)).run_id);
    await until(task.id, (pipeline) => pipeline.state === 'passed');

    await hub.call('PATCH', `/tasks/${task.id}`, { status: 'todo' });
    const again = await stageRun(task.id, [pm.run_id]);
    const [state] = await hub.services.db.select().from(taskPipelineTable).where(eq(taskPipelineTable.task_id, task.id));
    const [run] = await hub.services.db.select().from(runTable).where(eq(runTable.id, again.run_id));
    expect(run!.created_at.getTime()).toBeGreaterThanOrEqual(state!.created_at.getTime());
    // This round's pm splits nothing: the last round's subtasks do not stand in for dev.
    await succeed(again.run_id, plan([]), 'pass');
    expect(await stageRun(task.id, [pm.run_id, again.run_id])).toMatchObject({ node: 'dev' });
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: false });
  });

  it('lets a task go on when what it waits for is cancelled', async () => {
    const blocker = await newTask('Dropped');
    const task = await newTask('Waits', { autopilot: true, blocked_by: [blocker.id] });
    await until(task.id, (pipeline) => pipeline.reason !== null);
    await hub.call('PATCH', `/tasks/${blocker.id}`, { status: 'cancelled' });
    expect(await stageRun(task.id)).toMatchObject({ node: 'dev', waiting_for: [] });
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: false });
  });

  it('does not start a passed task over when a run started by hand ends and puts it back to todo', async () => {
    await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['dev'] });
    const task = await newTask('Passed', { autopilot: true });
    await succeed((await stageRun(task.id)).run_id);
    await until(task.id, (pipeline) => pipeline.state === 'passed');
    const byHand = (await hub.call('POST', `/tasks/${task.id}/trigger`, { node: 'qa' })).body;
    await end(byHand.id, { status: 'cancelled', error: { code: 'cancelled', message: 'by the user' } });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await pipelineOf(task.id)).toMatchObject({ state: 'passed' });
    expect(await nodesRun(task.id)).toEqual(['dev', 'qa']);
  });

  it('stops the pipeline of a cancelled task, which then rests', async () => {
    const task = await newTask('Cancelled mid-way', { autopilot: true });
    const dev = await stageRun(task.id);
    await hub.call('PATCH', `/tasks/${task.id}`, { status: 'cancelled' });
    await end(dev.run_id, { status: 'cancelled', error: { code: 'cancelled', message: 'by the user' } });
    expect(await until(task.id, (pipeline) => pipeline.state === 'stopped')).toMatchObject({ reason: 'The task was cancelled.' });
  });

  it('refuses an override with no reason, of a task in no pipeline, or of one done already', async () => {
    const plain = await newTask('Never on autopilot');
    const notInPipeline = await hub.call('POST', `/tasks/${plain.id}/override`, { by: 'Ada', reason: 'Because.' });
    expect(notInPipeline.status).toBe(409);
    expect(errorCode(notInPipeline)).toBe('not_in_pipeline');
    expect(await pipelineOf(plain.id)).toBeNull();

    const task = await newTask('On autopilot', { autopilot: true });
    await stageRun(task.id);
    expect((await hub.call('POST', `/tasks/${task.id}/override`, { by: 'Ada', reason: '   ' })).status).toBe(400);
    const busy = await hub.call('POST', `/tasks/${task.id}/override`, { by: 'Ada', reason: 'Because.' });
    expect(busy.status).toBe(409);
    expect(errorCode(busy)).toBe('run_active');
    await hub.call('PATCH', `/tasks/${task.id}`, { autopilot: false });
    await end((await pipelineOf(task.id)).run_id, { status: 'cancelled', error: { code: 'cancelled', message: 'by the user' } });
    await until(task.id, (pipeline) => pipeline.state === 'stopped');
    expect((await hub.call('POST', `/tasks/${task.id}/override`, { by: 'Ada', reason: 'Checked by hand.' })).status).toBe(200);
    const twice = await hub.call('POST', `/tasks/${task.id}/override`, { by: 'Ada', reason: 'Again.' });
    expect(twice.status).toBe(409);
    expect(errorCode(twice)).toBe('already_done');
    expect(await pipelineOf(task.id)).toMatchObject({ state: 'overridden', override: { reason: 'Checked by hand.' } });
  });

  it('refuses a pipeline whose reviewers come before dev, or whose pm comes after it', async () => {
    for (const nodes of [['qa', 'dev'], ['dev', 'security', 'pm'], ['documentation', 'dev', 'qa']]) {
      const refused = await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes });
      expect(refused.status, JSON.stringify(nodes)).toBe(422);
      expect(errorCode(refused)).toBe('pipeline_order');
    }
    expect((await hub.call('GET', `/projects/${projectId}/pipeline`)).body.is_default).toBe(true);
    // Without dev, any order stands (a review-only pipeline).
    expect((await hub.call('PUT', `/projects/${projectId}/pipeline`, { nodes: ['security', 'qa'] })).status).toBe(200);
  });
});
