import { sql } from 'drizzle-orm';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('projects API on %s', (kind) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub(kind);
  });
  afterAll(() => hub?.close());

  it('creates a project and its workspace folder, as the quick start does', async () => {
    const created = await hub.call('POST', '/projects', { name: 'POC', workspace_path: 'poc' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'POC', workspace_path: 'poc', environment: {}, settings: {} });
    expect(existsSync(created.body.workspace_dir)).toBe(true);
    expect(created.body.workspace_dir).toBe(path.join(hub.services.config.workspacesDir, 'poc'));

    const fetched = await hub.call('GET', `/projects/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it('accepts a JSON body sent with no content-type or a form content-type (curl -d)', async () => {
    for (const contentType of [undefined, 'application/x-www-form-urlencoded', 'text/plain']) {
      const name = `ct-${contentType ?? 'none'}`;
      const answer = await hub.app.inject({
        method: 'POST',
        url: '/projects',
        payload: JSON.stringify({ name, workspace_path: name.replace(/\W/g, '-') }),
        headers: contentType ? { 'content-type': contentType } : {},
      });
      expect(answer.statusCode, answer.body).toBe(201);
      expect(answer.json().name).toBe(name);
    }
  });

  it('derives the workspace folder from the name when none is given', async () => {
    const created = await hub.call('POST', '/projects', { name: 'My Shiny App!' });
    expect(created.status).toBe(201);
    expect(created.body.workspace_path).toBe('my-shiny-app');
  });

  it('refuses a second project with the same name, whatever the case', async () => {
    await hub.call('POST', '/projects', { name: 'Unique', workspace_path: 'unique' });
    const again = await hub.call('POST', '/projects', { name: 'UNIQUE', workspace_path: 'unique2' });
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('project_name_taken');
  });

  it.each([
    ['..', 'parent folder'],
    ['../outside', 'parent escape'],
    ['poc/../../outside', 'nested escape'],
    ['/etc', 'absolute path elsewhere'],
    ['.', 'the workspaces folder itself'],
  ])('refuses workspace_path %j (%s) and stores nothing', async (workspace_path) => {
    const before = await hub.call('GET', '/projects?limit=5000');
    const answer = await hub.call('POST', '/projects', { name: `bad ${workspace_path}`, workspace_path });
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('invalid_workspace_path');
    const after = await hub.call('GET', '/projects?limit=5000');
    expect(after.headers['x-total-count']).toBe(before.headers['x-total-count']);
  });

  it('refuses a workspace reached through a symlink that leaves the workspaces folder', async () => {
    const outside = path.join(hub.dir, 'outside');
    mkdirSync(outside, { recursive: true });
    mkdirSync(hub.services.config.workspacesDir, { recursive: true });
    symlinkSync(outside, path.join(hub.services.config.workspacesDir, 'link'));
    const answer = await hub.call('POST', '/projects', { name: 'Linked', workspace_path: 'link/inner' });
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('invalid_workspace_path');
    expect(existsSync(path.join(outside, 'inner'))).toBe(false);
  });

  it('accepts an absolute path inside the workspaces folder and stores it relative', async () => {
    const absolute = path.join(hub.services.config.workspacesDir, 'abs-inside');
    const answer = await hub.call('POST', '/projects', { name: 'Absolute', workspace_path: absolute });
    expect(answer.status).toBe(201);
    expect(answer.body.workspace_path).toBe('abs-inside');
  });

  it('updates name, environment and workspace; refuses unknown fields', async () => {
    const created = await hub.call('POST', '/projects', { name: 'Patch me', workspace_path: 'patch-me' });
    const patched = await hub.call('PATCH', `/projects/${created.body.id}`, {
      name: 'Patched',
      environment: { stack: 'node', ports: [3000] },
      workspace_path: 'patched',
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Patched', environment: { stack: 'node', ports: [3000] }, workspace_path: 'patched' });
    expect(new Date(patched.body.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(created.body.updated_at).getTime());

    const typo = await hub.call('PATCH', `/projects/${created.body.id}`, { nmae: 'x' });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toContain('nmae');
    expect((await hub.call('GET', `/projects/${created.body.id}`)).body.name).toBe('Patched');
  });

  it('deletes a project with its tasks but never its files', async () => {
    const created = await hub.call('POST', '/projects', { name: 'Doomed', workspace_path: 'doomed' });
    const file = path.join(created.body.workspace_dir, 'keep.txt');
    writeFileSync(file, 'mine');
    const task = await hub.call('POST', '/tasks', { project_id: created.body.id, title: 'goes away' });

    const deleted = await hub.call('DELETE', `/projects/${created.body.id}`);
    expect(deleted.status).toBe(204);
    expect((await hub.call('GET', `/projects/${created.body.id}`)).status).toBe(404);
    expect((await hub.call('GET', `/tasks/${task.body.id}`)).status).toBe(404);
    expect(existsSync(file)).toBe(true);
    expect((await hub.call('DELETE', `/projects/${created.body.id}`)).status).toBe(404);
  });

  it('pages lists with limit and offset and reports the total in X-Total-Count', async () => {
    for (let index = 0; index < 5; index++) {
      await hub.call('POST', '/projects', { name: `paged ${index}`, workspace_path: `paged-${index}` });
    }
    const all = await hub.call('GET', '/projects?limit=5000');
    const total = Number(all.headers['x-total-count']);
    expect(all.body).toHaveLength(total);
    const page = await hub.call('GET', '/projects?limit=2&offset=1');
    expect(page.body).toHaveLength(2);
    expect(page.body.map((project: { id: number }) => project.id)).toEqual(all.body.slice(1, 3).map((project: { id: number }) => project.id));
    expect(page.headers['x-total-count']).toBe(String(total));

    for (const query of ['limit=0', 'limit=5001', 'limit=abc', 'offset=-1']) {
      const bad = await hub.call('GET', `/projects?${query}`);
      expect(bad.status, query).toBe(400);
      expect(errorCode(bad)).toBe('invalid_request');
    }
  });

  it('answers 404 for unknown ids and 400 for ids that are not numbers', async () => {
    expect(errorCode(await hub.call('GET', '/projects/424242'))).toBe('not_found');
    expect((await hub.call('GET', '/projects/99999999999999')).status).toBe(404);
    expect((await hub.call('GET', '/projects/abc')).status).toBe(400);
    expect((await hub.call('GET', '/projects/-1')).status).toBe(400);
    expect((await hub.call('GET', '/projects/1.5')).status).toBe(400);
    expect((await hub.call('PATCH', '/projects/424242', { name: 'x' })).status).toBe(404);
  });
});

describe.each(backends())('project workspaces on %s', (kind) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub(kind);
  });
  afterAll(() => hub?.close());

  it('gives each project its own folder: an explicit duplicate is refused with 409', async () => {
    await hub.call('POST', '/projects', { name: 'First', workspace_path: 'shared' });
    const second = await hub.call('POST', '/projects', { name: 'Second', workspace_path: 'shared' });
    expect(second.status).toBe(409);
    expect(errorCode(second)).toBe('workspace_taken');
    const patched = await hub.call('POST', '/projects', { name: 'Third', workspace_path: 'third' });
    const moved = await hub.call('PATCH', `/projects/${patched.body.id}`, { workspace_path: 'shared' });
    expect(moved.status).toBe(409);
    expect((await hub.call('GET', `/projects/${patched.body.id}`)).body.workspace_path).toBe('third');
  });

  it('derives distinct folders for names that slug the same', async () => {
    const folders = [];
    for (const name of ['日本', '中文', 'Project']) {
      const created = await hub.call('POST', '/projects', { name });
      expect(created.status).toBe(201);
      folders.push(created.body.workspace_path);
    }
    expect(new Set(folders).size).toBe(3);
    expect(folders).toEqual(['project', 'project-2', 'project-3']);
  });

  it('leaves no folder behind when the project is refused', async () => {
    await hub.call('POST', '/projects', { name: 'Taken name', workspace_path: 'taken-name' });
    const refused = await hub.call('POST', '/projects', { name: 'TAKEN NAME', workspace_path: 'brand-new-folder' });
    expect(refused.status).toBe(409);
    expect(existsSync(path.join(hub.services.config.workspacesDir, 'brand-new-folder'))).toBe(false);
  });

  it('stores where a symlink inside the workspaces folder leads, so re-pointing the link later moves nothing', async () => {
    const root = hub.services.config.workspacesDir;
    mkdirSync(path.join(root, 'real-folder'), { recursive: true });
    symlinkSync(path.join(root, 'real-folder'), path.join(root, 'alias'));
    const created = await hub.call('POST', '/projects', { name: 'Aliased', workspace_path: 'alias' });
    expect(created.body.workspace_path).toBe('real-folder');
  });

  it('accepts folder names that merely start with two dots', async () => {
    const created = await hub.call('POST', '/projects', { name: 'Dotty', workspace_path: '..dotty' });
    expect(created.status).toBe(201);
    expect(created.body.workspace_path).toBe('..dotty');
  });
});

describe('finding a project by name', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub('pglite');
  });
  afterAll(() => hub?.close());

  it('matches the whole name in any case, and nothing else', async () => {
    await hub.call('POST', '/projects', { name: 'Alpha', workspace_path: 'alpha' });
    await hub.call('POST', '/projects', { name: 'Alphabet', workspace_path: 'alphabet' });
    const found = await hub.call('GET', '/projects?name=ALPHA');
    expect(found.body.map((project: { name: string }) => project.name)).toEqual(['Alpha']);
    expect(found.headers['x-total-count']).toBe('1');
    expect((await hub.call('GET', '/projects?name=alp')).body).toEqual([]);
  });
});

describe('nested project folders', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub('pglite');
  });
  afterAll(() => hub?.close());

  it('refuses a folder inside another project, or around one, with 409', async () => {
    expect((await hub.call('POST', '/projects', { name: 'Outer', workspace_path: 'outer' })).status).toBe(201);
    const inner = await hub.call('POST', '/projects', { name: 'Inner', workspace_path: 'outer/inner' });
    expect(inner.status).toBe(409);
    expect(errorCode(inner)).toBe('workspace_taken');
    expect((await hub.call('POST', '/projects', { name: 'Deep', workspace_path: 'deep/a/b' })).status).toBe(201);
    const around = await hub.call('POST', '/projects', { name: 'Around', workspace_path: 'deep' });
    expect(around.status).toBe(409);
    expect(existsSync(path.join(hub.services.config.workspacesDir, 'outer', 'inner'))).toBe(false);
    // Names that only share a prefix are separate folders.
    expect((await hub.call('POST', '/projects', { name: 'Outer two', workspace_path: 'outer2' })).status).toBe(201);
  });

  it('merges settings on PATCH, removes a key set to null, and refuses a setting it does not know', async () => {
    const created = (await hub.call('POST', '/projects', { name: 'Tuned', workspace_path: 'tuned', settings: { isolation: 'worktree', base_branch: 'main' } })).body;
    const patched = await hub.call('PATCH', `/projects/${created.id}`, { settings: { allow_network: true } });
    expect(patched.body.settings).toEqual({ isolation: 'worktree', base_branch: 'main', allow_network: true });
    const removed = await hub.call('PATCH', `/projects/${created.id}`, { settings: { base_branch: null } });
    expect(removed.body.settings).toEqual({ isolation: 'worktree', allow_network: true });
    const typo = await hub.call('PATCH', `/projects/${created.id}`, { settings: { isolaton: 'in-place' } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toContain('isolaton');
    expect((await hub.call('POST', '/projects', { name: 'Typo', settings: { max_step: 3 } })).status).toBe(400);
    // Checked as a whole after the merge: a remote with in-place runs is refused, whichever PATCH brings it.
    const remote = await hub.call('PATCH', `/projects/${created.id}`, { settings: { git_remote: 'https://example.com/app.git', isolation: 'in-place' } });
    expect(remote.status).toBe(400);
    expect(remote.body.error.message).toContain('git_remote');
    expect((await hub.call('GET', `/projects/${created.id}`)).body.settings).toEqual({ isolation: 'worktree', allow_network: true });
  });

  it('keeps a setting stored before settings were checked, lets other settings change, and removes it on null', async () => {
    const created = (await hub.call('POST', '/projects', { name: 'Older', workspace_path: 'older' })).body;
    await hub.services.db.execute(sql`update projects set settings = '{"my_note": "keep"}'::jsonb where id = ${created.id}`);
    const changed = await hub.call('PATCH', `/projects/${created.id}`, { settings: { max_steps: 5 } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.settings).toEqual({ my_note: 'keep', max_steps: 5 });
    expect((await hub.call('PATCH', `/projects/${created.id}`, { settings: { my_note: null } })).body.settings).toEqual({ max_steps: 5 });
  });
});
