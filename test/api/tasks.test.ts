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
      autopilot: false,
      blocked_by: [],
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

  describe('autopilot', () => {
    it('is set on create, toggled with PATCH and returned by get and list', async () => {
      const project = (await hub.call('POST', '/projects', { name: 'Autopilot', workspace_path: 'autopilot' })).body;
      const piloted = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'piloted', autopilot: true })).body;
      const manual = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'manual' })).body;
      expect(piloted.autopilot).toBe(true);
      expect(manual.autopilot).toBe(false);
      const listed = async () =>
        (await hub.call('GET', `/projects/${project.id}/tasks`)).body.map((task: { id: number; autopilot: boolean }) => [task.id, task.autopilot]);
      expect(await listed()).toEqual([
        [piloted.id, true],
        [manual.id, false],
      ]);

      expect((await hub.call('PATCH', `/tasks/${piloted.id}`, { autopilot: false })).body.autopilot).toBe(false);
      expect((await hub.call('PATCH', `/tasks/${manual.id}`, { autopilot: true })).body.autopilot).toBe(true);
      expect((await hub.call('GET', `/tasks/${piloted.id}`)).body.autopilot).toBe(false);
      expect((await hub.call('GET', `/tasks/${manual.id}`)).body.autopilot).toBe(true);
      expect(await listed()).toEqual([
        [piloted.id, false],
        [manual.id, true],
      ]);
      // Another field's PATCH leaves it alone.
      expect((await hub.call('PATCH', `/tasks/${manual.id}`, { title: 'still piloted' })).body.autopilot).toBe(true);
    });

    it('refuses a value that is not a boolean with 400', async () => {
      const task = await createTask({ title: 'strict autopilot' });
      for (const autopilot of ['true', 1, null]) {
        const answer = await hub.call('PATCH', `/tasks/${task.id}`, { autopilot });
        expect(answer.status, JSON.stringify(autopilot)).toBe(400);
        expect(answer.body.error.message).toContain('autopilot');
      }
      expect((await hub.call('GET', `/tasks/${task.id}`)).body).toEqual(task);
    });
  });

  describe('blocked_by', () => {
    const blockersOf = async (id: number) => (await hub.call('GET', `/tasks/${id}`)).body.blocked_by;
    const patch = (id: number, blocked_by: unknown) => hub.call('PATCH', `/tasks/${id}`, { blocked_by });

    it('is set on create (ascending, duplicates collapsed), replaced and cleared', async () => {
      const first = await createTask({ title: 'first blocker' });
      const second = await createTask({ title: 'second blocker' });
      const third = await createTask({ title: 'third blocker' });
      const waiting = await createTask({ title: 'waits', blocked_by: [second.id, first.id, second.id] });
      expect(waiting.blocked_by).toEqual([first.id, second.id]);
      expect(await blockersOf(waiting.id)).toEqual([first.id, second.id]);

      const replaced = await patch(waiting.id, [third.id]);
      expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
      expect(replaced.body.blocked_by).toEqual([third.id]);
      expect(await blockersOf(waiting.id)).toEqual([third.id]);

      // A PATCH without blocked_by keeps them.
      expect((await hub.call('PATCH', `/tasks/${waiting.id}`, { priority: 'high' })).body.blocked_by).toEqual([third.id]);

      const cleared = await patch(waiting.id, []);
      expect(cleared.status).toBe(200);
      expect(cleared.body.blocked_by).toEqual([]);
      expect(await blockersOf(waiting.id)).toEqual([]);
    });

    it('takes blockers from other projects', async () => {
      const foreign = (await hub.call('POST', '/tasks', { project_id: otherProjectId, title: 'other repository' })).body;
      const task = await createTask({ title: 'needs the other repository', blocked_by: [foreign.id] });
      expect(task.blocked_by).toEqual([foreign.id]);
    });

    it("lists each task's blockers", async () => {
      const project = (await hub.call('POST', '/projects', { name: 'Dependencies', workspace_path: 'dependencies' })).body;
      const make = async (body: Record<string, unknown>) => (await hub.call('POST', '/tasks', { project_id: project.id, ...body })).body;
      const base = await make({ title: 'base' });
      const middle = await make({ title: 'middle', blocked_by: [base.id] });
      const top = await make({ title: 'top', blocked_by: [middle.id, base.id] });
      const listed = (await hub.call('GET', `/projects/${project.id}/tasks`)).body;
      expect(listed.map((task: { id: number; blocked_by: number[] }) => [task.id, task.blocked_by])).toEqual([
        [base.id, []],
        [middle.id, [base.id]],
        [top.id, [base.id, middle.id]],
      ]);
    });

    it('answers 404 for an unknown task id and changes nothing', async () => {
      const blocker = await createTask({ title: 'known blocker' });
      const task = await createTask({ title: 'waits for a ghost', blocked_by: [blocker.id] });
      const answer = await patch(task.id, [blocker.id, 999_999]);
      expect(answer.status).toBe(404);
      expect(errorCode(answer)).toBe('not_found');
      expect(answer.body.error.message).toContain('task 999999 does not exist');
      expect(answer.body.error.message).toContain('blocked_by');
      expect((await hub.call('GET', `/tasks/${task.id}`)).body).toEqual(task);

      const before = (await hub.call('GET', `/projects/${projectId}/tasks?limit=5000`)).body;
      const refusedCreate = await hub.call('POST', '/tasks', { project_id: projectId, title: 'never', blocked_by: [999_999] });
      expect(refusedCreate.status).toBe(404);
      expect((await hub.call('GET', `/projects/${projectId}/tasks?limit=5000`)).body).toEqual(before);
    });

    it('refuses the task itself with 422 dependency_cycle and changes nothing', async () => {
      const blocker = await createTask({ title: 'other' });
      const task = await createTask({ title: 'self', blocked_by: [blocker.id] });
      const answer = await hub.call('PATCH', `/tasks/${task.id}`, { blocked_by: [blocker.id, task.id], title: 'renamed' });
      expect(answer.status).toBe(422);
      expect(errorCode(answer)).toBe('dependency_cycle');
      expect(answer.body.error.message).toContain('A task cannot wait for itself.');
      expect((await hub.call('GET', `/tasks/${task.id}`)).body).toEqual(task);
    });

    it('refuses a 2-cycle and a 3-cycle with 422 dependency_cycle naming the chain, and changes nothing', async () => {
      const a = await createTask({ title: 'cycle a' });
      const b = await createTask({ title: 'cycle b', blocked_by: [a.id] });
      const twoCycle = await hub.call('PATCH', `/tasks/${a.id}`, { blocked_by: [b.id], status: 'in_progress' });
      expect(twoCycle.status).toBe(422);
      expect(errorCode(twoCycle)).toBe('dependency_cycle');
      expect(twoCycle.body.error.message).toContain(`#${a.id} → #${b.id} → #${a.id}`);
      expect((await hub.call('GET', `/tasks/${a.id}`)).body).toEqual(a);
      expect(await blockersOf(b.id)).toEqual([a.id]);

      const c = await createTask({ title: 'cycle c', blocked_by: [b.id] });
      const unrelated = await createTask({ title: 'unrelated' });
      const threeCycle = await patch(a.id, [unrelated.id, c.id]);
      expect(threeCycle.status).toBe(422);
      expect(errorCode(threeCycle)).toBe('dependency_cycle');
      expect(threeCycle.body.error.message).toContain(`#${a.id} → #${c.id} → #${b.id} → #${a.id}`);
      expect(threeCycle.body.error.details).toMatchObject({ blocked_by: c.id, chain: [a.id, c.id, b.id, a.id] });
      expect((await hub.call('GET', `/tasks/${a.id}`)).body).toEqual(a);
      expect(await blockersOf(b.id)).toEqual([a.id]);
      expect(await blockersOf(c.id)).toEqual([b.id]);

      // A diamond is no cycle: a task may wait for two tasks that wait for the same one.
      const d = await createTask({ title: 'diamond', blocked_by: [b.id, c.id] });
      expect(d.blocked_by).toEqual([b.id, c.id]);
    });

    it('lets only one of two concurrent updates that together would close a cycle through', async () => {
      // Many pairs at once, so that on PostgreSQL some of them overlap.
      const pairs = await Promise.all(
        Array.from({ length: 12 }, async (_, index) => [await createTask({ title: `race ${index} a` }), await createTask({ title: `race ${index} b` })]),
      );
      const answers = await Promise.all(pairs.map(([a, b]) => Promise.all([patch(a.id, [b.id]), patch(b.id, [a.id])])));
      for (const [index, [a, b]] of pairs.entries()) {
        expect(answers[index]!.map((answer) => answer.status).sort()).toEqual([200, 422]);
        expect([...(await blockersOf(a.id)), ...(await blockersOf(b.id))]).toHaveLength(1);
      }
    });

    it('refuses more than 100 ids and ids that are not task ids with 400', async () => {
      const task = await createTask({ title: 'bounded' });
      for (const blocked_by of [Array.from({ length: 101 }, (_, index) => index + 1), [0], ['1'], [1.5], null, 1]) {
        const answer = await patch(task.id, blocked_by);
        expect(answer.status, JSON.stringify(blocked_by)).toBe(400);
        expect(answer.body.error.message).toContain('blocked_by');
      }
      expect((await hub.call('GET', `/tasks/${task.id}`)).body).toEqual(task);
    });

    it("removes a deleted blocker from its dependants' blocked_by", async () => {
      const kept = await createTask({ title: 'kept blocker' });
      const doomed = await createTask({ title: 'deleted blocker' });
      const doomedChild = await createTask({ title: 'deleted with its parent', parent_id: doomed.id });
      const waiting = await createTask({ title: 'dependant', blocked_by: [kept.id, doomed.id, doomedChild.id] });
      expect(waiting.blocked_by).toEqual([kept.id, doomed.id, doomedChild.id]);
      expect((await hub.call('DELETE', `/tasks/${doomed.id}`)).status).toBe(204);
      expect(await blockersOf(waiting.id)).toEqual([kept.id]);
    });
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
