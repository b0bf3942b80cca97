import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('comments API on %s', (kind) => {
  let hub: TestHub;
  let projectId: number;
  beforeAll(async () => {
    hub = await createTestHub(kind);
    projectId = (await hub.call('POST', '/projects', { name: 'Comments', workspace_path: 'comments' })).body.id;
  });
  afterAll(() => hub?.close());

  async function newTask(extra: Record<string, unknown> = {}): Promise<number> {
    const created = await hub.call('POST', '/tasks', { project_id: projectId, title: 'discussed task', ...extra });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id;
  }

  async function comment(taskId: number, body: string, author?: string) {
    const created = await hub.call('POST', `/tasks/${taskId}/comments`, { body, ...(author !== undefined && { author }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body;
  }

  it('creates a comment (201) with the default author "user"', async () => {
    const taskId = await newTask();
    const created = await hub.call('POST', `/tasks/${taskId}/comments`, { body: 'Looks good to me.' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ task_id: taskId, author: 'user', body: 'Looks good to me.' });
    expect(typeof created.body.id).toBe('number');
    expect(new Date(created.body.created_at).getTime()).not.toBeNaN();

    const listed = await hub.call('GET', `/tasks/${taskId}/comments`);
    expect(listed.body).toEqual([created.body]);
  });

  it('keeps a custom author, trimmed', async () => {
    const taskId = await newTask();
    const created = await hub.call('POST', `/tasks/${taskId}/comments`, { body: 'Tests pass.', author: '  qa-agent ' });
    expect(created.status).toBe(201);
    expect(created.body.author).toBe('qa-agent');
  });

  it("refuses to sign a comment as wfhub, whose name marks its own run summaries", async () => {
    const taskId = await newTask();
    for (const author of ['wfhub', ' WFHub ']) {
      const refused = await hub.call('POST', `/tasks/${taskId}/comments`, { body: 'I am the hub.', author });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('wfhub');
    }
    expect((await hub.call('GET', `/tasks/${taskId}/comments`)).body).toEqual([]);
  });

  it('keeps the body exactly as written, line breaks and unicode included', async () => {
    const taskId = await newTask();
    const body = '  Steps:\n1. run `npm test`\n2. ✅ done — 日本語\n';
    expect((await comment(taskId, body)).body).toBe(body);
    expect((await hub.call('GET', `/tasks/${taskId}/comments`)).body[0].body).toBe(body);
  });

  it("lists a task's comments oldest first, and only that task's", async () => {
    const taskId = await newTask();
    const otherTaskId = await newTask();
    await comment(taskId, 'first');
    await comment(otherTaskId, 'elsewhere');
    await comment(taskId, 'second', 'dev');
    await comment(taskId, 'third');

    const listed = await hub.call('GET', `/tasks/${taskId}/comments`);
    expect(listed.status).toBe(200);
    expect(listed.body.map((item: { body: string }) => item.body)).toEqual(['first', 'second', 'third']);
    expect(listed.headers['x-total-count']).toBe('3');
    const times = listed.body.map((item: { created_at: string }) => new Date(item.created_at).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('pages comments with limit and offset and reports the total in X-Total-Count', async () => {
    const taskId = await newTask();
    for (let index = 1; index <= 5; index++) await comment(taskId, `comment ${index}`);

    const page = await hub.call('GET', `/tasks/${taskId}/comments?limit=2&offset=1`);
    expect(page.status).toBe(200);
    expect(page.body.map((item: { body: string }) => item.body)).toEqual(['comment 2', 'comment 3']);
    expect(page.headers['x-total-count']).toBe('5');

    const last = await hub.call('GET', `/tasks/${taskId}/comments?limit=2&offset=4`);
    expect(last.body.map((item: { body: string }) => item.body)).toEqual(['comment 5']);
    expect(last.headers['x-total-count']).toBe('5');

    const beyond = await hub.call('GET', `/tasks/${taskId}/comments?offset=10`);
    expect(beyond.body).toEqual([]);
    expect(beyond.headers['x-total-count']).toBe('5');

    for (const query of ['limit=0', 'limit=5001', 'offset=-1', 'limit=two']) {
      const bad = await hub.call('GET', `/tasks/${taskId}/comments?${query}`);
      expect(bad.status, query).toBe(400);
      expect(errorCode(bad)).toBe('invalid_request');
    }
  });

  it('edits the body: the new text is kept and updated_at moves, created_at does not', async () => {
    const taskId = await newTask();
    const created = await comment(taskId, 'tpyo', 'pm');
    await sleep(20);
    const patched = await hub.call('PATCH', `/comments/${created.id}`, { body: 'typo fixed' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: created.id, task_id: taskId, author: 'pm', body: 'typo fixed', created_at: created.created_at });
    expect(new Date(patched.body.updated_at).getTime()).toBeGreaterThan(new Date(created.updated_at).getTime());

    const listed = await hub.call('GET', `/tasks/${taskId}/comments`);
    expect(listed.body).toEqual([patched.body]);
  });

  it('refuses to change the author or unknown fields on edit (400) and keeps the comment as it was', async () => {
    const taskId = await newTask();
    const created = await comment(taskId, 'original');
    for (const body of [{ body: 'x', author: 'someone else' }, { text: 'wrong field' }, {}]) {
      const answer = await hub.call('PATCH', `/comments/${created.id}`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorCode(answer)).toBe('invalid_request');
    }
    expect((await hub.call('GET', `/tasks/${taskId}/comments`)).body).toEqual([created]);
  });

  it('refuses an empty body text (400) on create and on edit', async () => {
    const taskId = await newTask();
    for (const body of [{ body: '' }, {}, { body: 'fine', author: '   ' }, { body: 'nul \u0000 byte' }, { body: 42 }]) {
      const answer = await hub.call('POST', `/tasks/${taskId}/comments`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(errorCode(answer)).toBe('invalid_request');
    }
    expect((await hub.call('GET', `/tasks/${taskId}/comments`)).headers['x-total-count']).toBe('0');

    const created = await comment(taskId, 'keep me');
    const emptied = await hub.call('PATCH', `/comments/${created.id}`, { body: '' });
    expect(emptied.status).toBe(400);
    expect(errorCode(emptied)).toBe('invalid_request');
    expect(emptied.body.error.message).toContain('body');
    expect((await hub.call('GET', `/tasks/${taskId}/comments`)).body[0].body).toBe('keep me');
  });

  it('deletes a comment: 204, then 404 for the same id, and the others stay', async () => {
    const taskId = await newTask();
    const kept = await comment(taskId, 'kept');
    const doomed = await comment(taskId, 'doomed');

    const deleted = await hub.call('DELETE', `/comments/${doomed.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');
    expect((await hub.call('GET', `/tasks/${taskId}/comments`)).body).toEqual([kept]);

    const again = await hub.call('DELETE', `/comments/${doomed.id}`);
    expect(again.status).toBe(404);
    expect(errorCode(again)).toBe('not_found');
    expect((await hub.call('PATCH', `/comments/${doomed.id}`, { body: 'revive' })).status).toBe(404);
  });

  it('answers 404 for an unknown task or comment id, naming what is missing', async () => {
    const listed = await hub.call('GET', '/tasks/424242/comments');
    expect(listed.status).toBe(404);
    expect(errorCode(listed)).toBe('not_found');
    expect(listed.body.error.message).toContain('task 424242');

    const created = await hub.call('POST', '/tasks/424242/comments', { body: 'hello?' });
    expect(created.status).toBe(404);
    expect(errorCode(created)).toBe('not_found');
    expect(created.body.error.message).toContain('task 424242');

    const patched = await hub.call('PATCH', '/comments/424242', { body: 'x' });
    expect(patched.status).toBe(404);
    expect(patched.body.error.message).toContain('comment 424242');
    const deleted = await hub.call('DELETE', '/comments/424242');
    expect(deleted.status).toBe(404);
    expect(errorCode(deleted)).toBe('not_found');

    expect((await hub.call('GET', '/tasks/99999999999/comments')).status).toBe(404);
    expect((await hub.call('DELETE', '/comments/abc')).status).toBe(400);
  });

  it('removes comments with their task, and with its parent task', async () => {
    const parentId = await newTask();
    const childId = await newTask({ parent_id: parentId });
    const onParent = await comment(parentId, 'on the parent');
    const onChild = await comment(childId, 'on the subtask');

    expect((await hub.call('DELETE', `/tasks/${parentId}`)).status).toBe(204);
    expect((await hub.call('GET', `/tasks/${parentId}/comments`)).status).toBe(404);
    expect((await hub.call('GET', `/tasks/${childId}/comments`)).status).toBe(404);
    expect((await hub.call('PATCH', `/comments/${onParent.id}`, { body: 'x' })).status).toBe(404);
    expect((await hub.call('PATCH', `/comments/${onChild.id}`, { body: 'x' })).status).toBe(404);
    expect((await hub.call('DELETE', `/comments/${onChild.id}`)).status).toBe(404);
  });
});
