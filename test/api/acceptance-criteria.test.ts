import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

interface Criterion {
  id: number;
  task_id: number;
  text: string;
  done: boolean;
  check: string | null;
  position: number;
  created_at: string;
  updated_at: string;
}

describe.each(backends())('acceptance criteria API on %s', (kind) => {
  let hub: TestHub;
  let projectId: number;
  beforeAll(async () => {
    hub = await createTestHub(kind);
    projectId = (await hub.call('POST', '/projects', { name: 'Criteria', workspace_path: 'criteria' })).body.id;
  });
  afterAll(() => hub?.close());

  async function newTask(extra: Record<string, unknown> = {}): Promise<number> {
    const created = await hub.call('POST', '/tasks', { project_id: projectId, title: 'task with criteria', ...extra });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id;
  }

  async function addCriterion(taskId: number, body: Record<string, unknown>): Promise<Criterion> {
    const created = await hub.call('POST', `/tasks/${taskId}/acceptance-criteria`, body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body;
  }

  async function listCriteria(taskId: number): Promise<Criterion[]> {
    const listed = await hub.call('GET', `/tasks/${taskId}/acceptance-criteria`);
    expect(listed.status).toBe(200);
    return listed.body;
  }

  const tasksInProject = async () => (await hub.call('GET', `/projects/${projectId}/tasks?limit=5000`)).headers['x-total-count'];

  it('creates a criterion with only a text: not done, no check', async () => {
    const taskId = await newTask();
    const created = await hub.call('POST', `/tasks/${taskId}/acceptance-criteria`, { text: '  The build passes  ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ task_id: taskId, text: 'The build passes', done: false, check: null });
    expect(await listCriteria(taskId)).toEqual([created.body]);
  });

  it('creates a criterion with a check and already done', async () => {
    const taskId = await newTask();
    const created = await addCriterion(taskId, { text: 'Unit tests pass', check: 'npm test -- --run', done: true });
    expect(created).toMatchObject({ text: 'Unit tests pass', check: 'npm test -- --run', done: true });
    expect(await listCriteria(taskId)).toEqual([created]);
  });

  it('lists criteria in position order: appended ones go last, an explicit position places one between', async () => {
    const taskId = await newTask();
    const first = await addCriterion(taskId, { text: 'first' });
    const second = await addCriterion(taskId, { text: 'second' });
    const third = await addCriterion(taskId, { text: 'third' });
    expect(second.position).toBeGreaterThan(first.position);
    expect(third.position).toBeGreaterThan(second.position);
    await addCriterion(taskId, { text: 'between first and second', position: (first.position + second.position) / 2 });
    await addCriterion(taskId, { text: 'before all', position: first.position - 1 });
    await addCriterion(taskId, { text: 'appended' });

    expect((await listCriteria(taskId)).map((criterion) => criterion.text)).toEqual([
      'before all',
      'first',
      'between first and second',
      'second',
      'third',
      'appended',
    ]);
  });

  it('moves a criterion by patching its position', async () => {
    const taskId = await newTask();
    const first = await addCriterion(taskId, { text: 'a' });
    await addCriterion(taskId, { text: 'b' });
    const last = await addCriterion(taskId, { text: 'c' });
    const moved = await hub.call('PATCH', `/acceptance-criteria/${last.id}`, { position: first.position - 1 });
    expect(moved.status).toBe(200);
    expect((await listCriteria(taskId)).map((criterion) => criterion.text)).toEqual(['c', 'a', 'b']);
  });

  it('pages criteria with limit and offset and reports the total', async () => {
    const taskId = await newTask({ acceptance_criteria: ['one', 'two', 'three', 'four'] });
    const page = await hub.call('GET', `/tasks/${taskId}/acceptance-criteria?limit=2&offset=2`);
    expect(page.body.map((criterion: Criterion) => criterion.text)).toEqual(['three', 'four']);
    expect(page.headers['x-total-count']).toBe('4');
  });

  it('marks a criterion done and moves updated_at, leaving the other fields alone', async () => {
    const taskId = await newTask();
    const created = await addCriterion(taskId, { text: 'Docs updated', check: 'test -f README.md' });
    await sleep(20);
    const patched = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { done: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id: created.id,
      text: 'Docs updated',
      check: 'test -f README.md',
      done: true,
      position: created.position,
      created_at: created.created_at,
    });
    expect(new Date(patched.body.updated_at).getTime()).toBeGreaterThan(new Date(created.updated_at).getTime());

    const undone = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { done: false });
    expect(undone.body.done).toBe(false);
    expect((await listCriteria(taskId))[0]!.done).toBe(false);
  });

  it('clears the check with null and edits the text', async () => {
    const taskId = await newTask();
    const created = await addCriterion(taskId, { text: 'Lint is clean', check: 'npm run lint' });
    const cleared = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { check: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ text: 'Lint is clean', check: null, done: false });

    const renamed = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { text: 'Lint and types are clean', check: 'npm run check' });
    expect(renamed.body).toMatchObject({ text: 'Lint and types are clean', check: 'npm run check' });
    expect(await listCriteria(taskId)).toEqual([renamed.body]);
  });

  it('round-trips check on create, patch and list, a command or a URL', async () => {
    const taskId = await newTask();
    const created = await addCriterion(taskId, { text: 'The page answers', check: 'GET http://127.0.0.1:3000/health' });
    expect(created.check).toBe('GET http://127.0.0.1:3000/health');
    expect(created).not.toHaveProperty('check_command');
    expect(await listCriteria(taskId)).toEqual([created]);

    const patched = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { check: 'http://127.0.0.1:3000/' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ text: 'The page answers', check: 'http://127.0.0.1:3000/' });
    expect(patched.body).not.toHaveProperty('check_command');
    expect(await listCriteria(taskId)).toEqual([patched.body]);

    const other = await addCriterion(taskId, { text: 'Tests pass', check: 'npm test' });
    const untouched = await hub.call('PATCH', `/acceptance-criteria/${other.id}`, { text: 'All tests pass' });
    expect(untouched.body).toMatchObject({ text: 'All tests pass', check: 'npm test' });
  });

  it('still accepts check_command as an alias of check, and answers it as check', async () => {
    const taskId = await newTask({ acceptance_criteria: [{ text: 'Inline', check_command: 'npm run lint' }] });
    const [inline] = await listCriteria(taskId);
    expect(inline).toMatchObject({ text: 'Inline', check: 'npm run lint' });
    expect(inline).not.toHaveProperty('check_command');

    const created = await addCriterion(taskId, { text: 'Old client', check_command: 'npm test' });
    expect(created).toMatchObject({ text: 'Old client', check: 'npm test' });
    expect(created).not.toHaveProperty('check_command');

    const patched = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { check_command: 'npm test -- --run' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ check: 'npm test -- --run' });
    expect(patched.body).not.toHaveProperty('check_command');

    const same = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { check: 'npm run check', check_command: 'npm run check' });
    expect(same.status).toBe(200);
    expect(same.body.check).toBe('npm run check');

    const cleared = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { check_command: null });
    expect(cleared.body.check).toBeNull();
  });

  it('refuses check and check_command that differ (400), and stores nothing', async () => {
    const taskId = await newTask();
    for (const pair of [
      { check: 'npm test', check_command: 'npm run lint' },
      { check: 'npm test', check_command: null },
      { check: null, check_command: 'npm test' },
    ]) {
      const answer = await hub.call('POST', `/tasks/${taskId}/acceptance-criteria`, { text: 'two checks', ...pair });
      expect(answer.status, JSON.stringify(pair)).toBe(400);
      expect(errorCode(answer)).toBe('invalid_request');
      expect(answer.body.error.message).toContain('send one');
    }
    expect(await listCriteria(taskId)).toEqual([]);

    const created = await addCriterion(taskId, { text: 'kept', check: 'npm test' });
    const patched = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { text: 'renamed', check: 'a', check_command: 'b' });
    expect(patched.status).toBe(400);
    expect(errorCode(patched)).toBe('invalid_request');
    expect(await listCriteria(taskId)).toEqual([created]);

    const tasksBefore = await tasksInProject();
    const inline = await hub.call('POST', '/tasks', {
      project_id: projectId,
      title: 'never made',
      acceptance_criteria: [{ text: 'two checks', check: 'a', check_command: 'b' }],
    });
    expect(inline.status).toBe(400);
    expect(errorCode(inline)).toBe('invalid_request');
    expect(await tasksInProject()).toBe(tasksBefore);
  });

  it('removes the check with null, on create and on patch', async () => {
    const taskId = await newTask();
    const none = await addCriterion(taskId, { text: 'No check', check: null });
    expect(none.check).toBeNull();

    const created = await addCriterion(taskId, { text: 'Checked', check: 'npm test' });
    const cleared = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { check: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ text: 'Checked', check: null });
    expect((await listCriteria(taskId)).map((criterion) => criterion.check)).toEqual([null, null]);
  });

  it('deletes a criterion: 204, then 404, and the others keep their order', async () => {
    const taskId = await newTask({ acceptance_criteria: ['keep 1', 'drop', 'keep 2'] });
    const [, dropped] = await listCriteria(taskId);
    const deleted = await hub.call('DELETE', `/acceptance-criteria/${dropped!.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');
    expect((await listCriteria(taskId)).map((criterion) => criterion.text)).toEqual(['keep 1', 'keep 2']);

    const again = await hub.call('DELETE', `/acceptance-criteria/${dropped!.id}`);
    expect(again.status).toBe(404);
    expect(errorCode(again)).toBe('not_found');
    expect((await hub.call('PATCH', `/acceptance-criteria/${dropped!.id}`, { done: true })).status).toBe(404);
  });

  it('creates criteria given inline on POST /tasks, as strings or {text, check}, in the order given', async () => {
    const taskId = await newTask({
      acceptance_criteria: [
        'The page loads in under a second',
        { text: 'Unit tests pass', check: 'npm test' },
        { text: 'Already true', done: true },
        '  Trimmed  ',
      ],
    });
    const criteria = await listCriteria(taskId);
    expect(criteria.map(({ text, check, done, task_id }) => ({ text, check, done, task_id }))).toEqual([
      { text: 'The page loads in under a second', check: null, done: false, task_id: taskId },
      { text: 'Unit tests pass', check: 'npm test', done: false, task_id: taskId },
      { text: 'Already true', check: null, done: true, task_id: taskId },
      { text: 'Trimmed', check: null, done: false, task_id: taskId },
    ]);

    const appended = await addCriterion(taskId, { text: 'Added later' });
    expect((await listCriteria(taskId)).at(-1)).toEqual(appended);
  });

  it('creates no criteria when a task is created without any', async () => {
    const taskId = await newTask();
    const listed = await hub.call('GET', `/tasks/${taskId}/acceptance-criteria`);
    expect(listed.body).toEqual([]);
    expect(listed.headers['x-total-count']).toBe('0');
  });

  it('refuses an empty text (400) on create, on edit and inline, and stores nothing', async () => {
    const taskId = await newTask();
    for (const body of [{ text: '' }, { text: '   ' }, {}, { text: 'ok', check: '' }, { text: 'ok', check_command: '' }, { text: 'ok', colour: 'red' }]) {
      const answer = await hub.call('POST', `/tasks/${taskId}/acceptance-criteria`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorCode(answer)).toBe('invalid_request');
    }
    expect(await listCriteria(taskId)).toEqual([]);

    const created = await addCriterion(taskId, { text: 'stays' });
    const emptied = await hub.call('PATCH', `/acceptance-criteria/${created.id}`, { text: ' ' });
    expect(emptied.status).toBe(400);
    expect(errorCode(emptied)).toBe('invalid_request');
    expect((await listCriteria(taskId))[0]!.text).toBe('stays');

    const tasksBefore = await tasksInProject();
    for (const acceptance_criteria of [['fine', ''], [{ text: '' }], [{ check: 'npm test' }]]) {
      const answer = await hub.call('POST', '/tasks', { project_id: projectId, title: 'never made', acceptance_criteria });
      expect(answer.status, JSON.stringify(acceptance_criteria)).toBe(400);
      expect(errorCode(answer)).toBe('invalid_request');
    }
    expect(await tasksInProject()).toBe(tasksBefore);
  });

  it('answers 404 for an unknown task or criterion id', async () => {
    const listed = await hub.call('GET', '/tasks/424242/acceptance-criteria');
    expect(listed.status).toBe(404);
    expect(errorCode(listed)).toBe('not_found');
    expect(listed.body.error.message).toContain('task 424242');

    const created = await hub.call('POST', '/tasks/424242/acceptance-criteria', { text: 'orphan' });
    expect(created.status).toBe(404);
    expect(errorCode(created)).toBe('not_found');

    const patched = await hub.call('PATCH', '/acceptance-criteria/424242', { done: true });
    expect(patched.status).toBe(404);
    expect(patched.body.error.message).toContain('acceptance criterion 424242');
    expect(errorCode(await hub.call('DELETE', '/acceptance-criteria/424242'))).toBe('not_found');
  });

  it('removes criteria with their task, and with its parent task', async () => {
    const parentId = await newTask({ acceptance_criteria: ['parent criterion'] });
    const childId = await newTask({ parent_id: parentId, acceptance_criteria: ['child criterion'] });
    const [parentCriterion] = await listCriteria(parentId);
    const [childCriterion] = await listCriteria(childId);

    expect((await hub.call('DELETE', `/tasks/${parentId}`)).status).toBe(204);
    expect((await hub.call('GET', `/tasks/${parentId}/acceptance-criteria`)).status).toBe(404);
    expect((await hub.call('GET', `/tasks/${childId}/acceptance-criteria`)).status).toBe(404);
    expect((await hub.call('PATCH', `/acceptance-criteria/${parentCriterion!.id}`, { done: true })).status).toBe(404);
    expect((await hub.call('DELETE', `/acceptance-criteria/${childCriterion!.id}`)).status).toBe(404);
  });
});
