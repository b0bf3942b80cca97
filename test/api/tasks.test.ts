import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('tasks API on %s', (kind) => {
  let hub: TestHub;
  let projectId: number;
  let otherProjectId: number;

  const createTask = async (body: Record<string, unknown>) => {
    const answer = await hub.call('POST', '/tasks', { project_id: projectId, ...body });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body;
  };

  beforeAll(async () => {
    hub = await createTestHub(kind);
    projectId = (await hub.call('POST', '/projects', { name: 'Main', workspace_path: 'main' })).body.id;
    otherProjectId = (await hub.call('POST', '/projects', { name: 'Other', workspace_path: 'other' })).body.id;
  });
  afterAll(() => hub?.close());

  it('creates a task with defaults, as the quick start does', async () => {
    const answer = await hub.call('POST', '/tasks', { project_id: projectId, title: 'Create hello.txt' });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      project_id: projectId,
      title: 'Create hello.txt',
      description: '',
      status: 'todo',
      priority: 'none',
      parent_id: null,
      node_id: null,
      node_name: null,
    });
    expect((await hub.call('GET', `/tasks/${answer.body.id}`)).body).toEqual(answer.body);
  });

  it('puts each new task at the end of the board', async () => {
    const first = await createTask({ title: 'first' });
    const second = await createTask({ title: 'second' });
    expect(second.position).toBeGreaterThan(first.position);
  });

  it('creates subtasks and lists them by parent', async () => {
    const parent = await createTask({ title: 'parent' });
    const child = await createTask({ title: 'child', parent_id: parent.id });
    const grandchild = await createTask({ title: 'grandchild', parent_id: child.id });
    const children = await hub.call('GET', `/projects/${projectId}/tasks?parent=${parent.id}`);
    expect(children.body.map((task: { id: number }) => task.id)).toEqual([child.id]);
    const topLevel = await hub.call('GET', `/projects/${projectId}/tasks?parent=none&limit=5000`);
    const topIds = topLevel.body.map((task: { id: number }) => task.id);
    expect(topIds).toContain(parent.id);
    expect(topIds).not.toContain(child.id);
    expect(topIds).not.toContain(grandchild.id);
  });

  it('refuses a parent from another project with 422', async () => {
    const foreign = (await hub.call('POST', '/tasks', { project_id: otherProjectId, title: 'foreign' })).body;
    const answer = await hub.call('POST', '/tasks', { project_id: projectId, title: 'x', parent_id: foreign.id });
    expect(answer.status).toBe(422);
    expect(errorCode(answer)).toBe('parent_in_other_project');
    const local = await createTask({ title: 'local' });
    const patch = await hub.call('PATCH', `/tasks/${local.id}`, { parent_id: foreign.id });
    expect(patch.status).toBe(422);
    expect((await hub.call('GET', `/tasks/${local.id}`)).body.parent_id).toBeNull();
  });

  it('refuses parent cycles with 422 and changes nothing', async () => {
    const a = await createTask({ title: 'a' });
    const b = await createTask({ title: 'b', parent_id: a.id });
    const c = await createTask({ title: 'c', parent_id: b.id });
    const cycle = await hub.call('PATCH', `/tasks/${a.id}`, { parent_id: c.id });
    expect(cycle.status).toBe(422);
    expect(errorCode(cycle)).toBe('parent_cycle');
    const self = await hub.call('PATCH', `/tasks/${a.id}`, { parent_id: a.id });
    expect(self.status).toBe(422);
    expect((await hub.call('GET', `/tasks/${a.id}`)).body.parent_id).toBeNull();
    // Moving a subtree under an unrelated task is fine, and so is detaching it.
    const d = await createTask({ title: 'd' });
    expect((await hub.call('PATCH', `/tasks/${b.id}`, { parent_id: d.id })).body.parent_id).toBe(d.id);
    expect((await hub.call('PATCH', `/tasks/${b.id}`, { parent_id: null })).body.parent_id).toBeNull();
  });

  it('answers 404 when the project, parent or node does not exist', async () => {
    expect(errorCode(await hub.call('POST', '/tasks', { project_id: 999_999, title: 'x' }))).toBe('not_found');
    expect((await hub.call('POST', '/tasks', { project_id: projectId, title: 'x', parent_id: 999_999 })).status).toBe(404);
    expect((await hub.call('POST', '/tasks', { project_id: projectId, title: 'x', node_id: 999_999 })).status).toBe(404);
    expect((await hub.call('POST', '/tasks', { project_id: projectId, title: 'x', node: 'astronaut' })).status).toBe(404);
    expect((await hub.call('GET', '/tasks/999999')).status).toBe(404);
    expect((await hub.call('PATCH', '/tasks/999999', { title: 'y' })).status).toBe(404);
    expect((await hub.call('DELETE', '/tasks/999999')).status).toBe(404);
  });

  it('patches every editable field', async () => {
    const task = await createTask({ title: 'before' });
    const answer = await hub.call('PATCH', `/tasks/${task.id}`, {
      title: 'after',
      description: 'details',
      status: 'in_progress',
      priority: 'high',
      position: 2.5,
      node: 'qa',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      title: 'after',
      description: 'details',
      status: 'in_progress',
      priority: 'high',
      position: 2.5,
      node_name: 'qa',
    });
    const cleared = await hub.call('PATCH', `/tasks/${task.id}`, { node_id: null });
    expect(cleared.body.node_name).toBeNull();
  });

  it.each(['todo', 'in_progress', 'review', 'done', 'failed', 'blocked', 'cancelled'])('accepts status %s', async (status) => {
    const task = await createTask({ title: `status ${status}`, status });
    expect(task.status).toBe(status);
  });

  it('refuses an unknown status or priority with 400', async () => {
    const task = await createTask({ title: 'strict' });
    for (const body of [{ status: 'finished' }, { priority: 'critical' }, { title: '' }, { title: '   ' }]) {
      const answer = await hub.call('PATCH', `/tasks/${task.id}`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect((await hub.call('GET', `/tasks/${task.id}`)).body).toEqual(task);
  });

  it('filters by status, node and text, and pages', async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Filters', workspace_path: 'filters' })).body;
    const make = (body: Record<string, unknown>) => hub.call('POST', '/tasks', { project_id: project.id, ...body });
    await make({ title: 'Write the README', status: 'todo', node: 'documentation' });
    await make({ title: 'Fix login bug', status: 'in_progress', node: 'dev', description: 'users get 100% errors' });
    await make({ title: 'Audit deps', status: 'review', node: 'security' });
    await make({ title: 'Ship it', status: 'done' });

    const titles = async (query: string) =>
      (await hub.call('GET', `/projects/${project.id}/tasks?${query}`)).body.map((task: { title: string }) => task.title);
    expect(await titles('status=todo')).toEqual(['Write the README']);
    expect(await titles('status=review,done')).toEqual(['Audit deps', 'Ship it']);
    expect(await titles('node=dev')).toEqual(['Fix login bug']);
    expect(await titles('q=readme')).toEqual(['Write the README']);
    expect(await titles('q=100%25')).toEqual(['Fix login bug']);
    expect(await titles('q=_')).toEqual([]);
    const paged = await hub.call('GET', `/projects/${project.id}/tasks?limit=1&offset=1`);
    expect(paged.body.map((task: { title: string }) => task.title)).toEqual(['Fix login bug']);
    expect(paged.headers['x-total-count']).toBe('4');
    expect((await hub.call('GET', `/projects/${project.id}/tasks?status=nope`)).status).toBe(400);
    expect((await hub.call('GET', '/projects/999999/tasks')).status).toBe(404);
  });

  it('deletes a task with its subtasks, comments and criteria', async () => {
    const parent = await createTask({ title: 'delete me', acceptance_criteria: ['gone with it'] });
    const child = await createTask({ title: 'and me', parent_id: parent.id });
    const comment = (await hub.call('POST', `/tasks/${child.id}/comments`, { body: 'bye' })).body;
    expect((await hub.call('DELETE', `/tasks/${parent.id}`)).status).toBe(204);
    expect((await hub.call('GET', `/tasks/${child.id}`)).status).toBe(404);
    expect((await hub.call('PATCH', `/comments/${comment.id}`, { body: 'x' })).status).toBe(404);
    expect((await hub.call('GET', `/tasks/${parent.id}/acceptance-criteria`)).status).toBe(404);
  });

  it('stores SQL-looking and unicode text verbatim', async () => {
    const title = `Robert'); DROP TABLE tasks;-- 🚀 עברית \u200f`;
    const description = "1' OR '1'='1 /* \\ */ $$ %_ \ud83d\ude00";
    const task = await createTask({ title, description });
    const read = (await hub.call('GET', `/tasks/${task.id}`)).body;
    expect(read.title).toBe(title.trim());
    expect(read.description).toBe(description);
  });
});
