import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { git, repositoryWith } from '../helpers/git.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('runs and git on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b', gitUserName: 'Hub Bot', gitUserEmail: 'bot@example.com' });
    await hub.services.scheduler.start();
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  async function project(name: string): Promise<{ id: number; dir: string }> {
    const created = (await hub.call('POST', '/projects', { name, workspace_path: name })).body;
    return { id: created.id, dir: path.join(hub.dir, 'workspaces', name) };
  }

  async function runTask(projectId: number, title: string) {
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title })).body;
    return (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
  }

  it('makes a plain folder a repository, commits what the run changed and keeps its diff', async () => {
    const { id, dir } = await project('plain');
    writeFileSync(path.join(dir, 'existing.txt'), 'already here\n');
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'hello.txt', content: 'hi\n' } }] },
      { toolCalls: [{ name: 'bash', arguments: { command: 'echo made-by-bash > bash.txt' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Added hello.txt and bash.txt' } }] },
    );
    const run = await runTask(id, 'Create hello.txt');
    expect(run).toMatchObject({ status: 'succeeded', files_changed: ['bash.txt', 'hello.txt'] });
    expect(run.git_head_before).toMatch(/^[0-9a-f]{40}$/);
    expect(run.git_head_after).not.toBe(run.git_head_before);
    expect(git(dir, 'log', '-1', '--format=%an|%s')).toBe('Hub Bot|wfhub run ' + run.id + ': Added hello.txt and bash.txt');
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual(['bash.txt', 'hello.txt']);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    const comment = (await hub.call('GET', `/tasks/${run.task_id}/comments`)).body.at(-1).body;
    expect(comment).toContain(`Committed as ${run.git_head_after.slice(0, 12)}`);
    const diff = await hub.app.inject({ method: 'GET', url: `/runs/${run.id}/diff` });
    expect(diff.headers['content-type']).toContain('text/x-diff');
    expect(diff.body).toContain('+hi');
    expect(diff.body).toContain('+made-by-bash');
  });

  it("keeps the user's uncommitted work out of the run's commit, and an undo brings the workspace back", async () => {
    const { id, dir } = await project('dirty');
    const mine = repositoryWith(dir, { 'app.js': 'const a = 1;\n', 'notes.md': 'committed notes\n' }, 'mine');
    // Work in progress the user has not committed: an edit, a staged edit and a new file.
    writeFileSync(path.join(dir, 'notes.md'), 'notes being edited\n');
    writeFileSync(path.join(dir, 'draft.txt'), 'a draft\n');

    ollama.script(
      { toolCalls: [{ name: 'edit', arguments: { path: 'app.js', old_string: 'const a = 1;', new_string: 'const a = 2;' } }] },
      { toolCalls: [{ name: 'write', arguments: { path: 'new.js', content: 'export {};\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Bumped a' } }] },
    );
    const run = await runTask(id, 'Bump a');
    expect(run).toMatchObject({ status: 'succeeded', files_changed: ['app.js', 'new.js'], git_head_before: mine });
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual(['app.js', 'new.js']);
    expect(readFileSync(path.join(dir, 'notes.md'), 'utf8')).toBe('notes being edited\n');
    expect(readFileSync(path.join(dir, 'draft.txt'), 'utf8')).toBe('a draft\n');

    const undone = await hub.call('POST', `/runs/${run.id}/undo`);
    expect(undone.status).toBe(200);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(mine);
    expect(readFileSync(path.join(dir, 'app.js'), 'utf8')).toBe('const a = 1;\n');
    expect(existsSync(path.join(dir, 'new.js'))).toBe(false);
    expect(readFileSync(path.join(dir, 'notes.md'), 'utf8')).toBe('notes being edited\n');
    expect(readFileSync(path.join(dir, 'draft.txt'), 'utf8')).toBe('a draft\n');
    // Unstaged edit and untracked file, as the user left them.
    expect(git(dir, 'status', '--porcelain').split('\n').map((line) => line.trim()).sort()).toEqual(['?? draft.txt', 'M notes.md']);
    expect(git(dir, 'diff', '--name-only')).toBe('notes.md');
  });

  it('gives back, on undo, the version of a file the user had staged and the different one in their working tree', async () => {
    const { id, dir } = await project('staged');
    repositoryWith(dir, { 'config.txt': 'v1\n', 'other.txt': 'o1\n' });
    // Staged: config v2 and a new file; in the working tree: config v3.
    writeFileSync(path.join(dir, 'config.txt'), 'v2\n');
    writeFileSync(path.join(dir, 'added.txt'), 'new\n');
    git(dir, 'add', 'config.txt', 'added.txt');
    writeFileSync(path.join(dir, 'config.txt'), 'v3\n');

    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'config.txt', content: 'from the run\n' } }] },
      { toolCalls: [{ name: 'bash', arguments: { command: 'rm added.txt && echo o2 > other.txt' } }] },
      { text: 'Changed the config.' },
    );
    const run = await runTask(id, 'Change the config');
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(run.files_changed.sort()).toEqual(['added.txt', 'config.txt', 'other.txt']);

    expect((await hub.call('POST', `/runs/${run.id}/undo`)).status).toBe(200);
    expect(readFileSync(path.join(dir, 'config.txt'), 'utf8')).toBe('v3\n');
    expect(git(dir, 'show', ':config.txt')).toBe('v2');
    expect(git(dir, 'show', ':added.txt')).toBe('new');
    expect(readFileSync(path.join(dir, 'added.txt'), 'utf8')).toBe('new\n');
    expect(git(dir, 'show', ':other.txt')).toBe('o1');
    expect(readFileSync(path.join(dir, 'other.txt'), 'utf8')).toBe('o1\n');
    expect(git(dir, 'status', '--porcelain').split('\n').sort()).toEqual(['A  added.txt', 'MM config.txt']);
  });

  it("never lets a repository the agent made inside the workspace run a program through wfhub's own git", async () => {
    const { id, dir } = await project('nested');
    const marker = path.join(hub.dir, 'FILTER-RAN');
    const plant = [
      'mkdir sub && cd sub && git init -q && git config user.name a && git config user.email a@b',
      `git config filter.x.clean "sh -c 'touch ${marker}; cat'"`,
      "printf '* filter=x\\n' > .gitattributes && echo s > s.txt && git add -A && git commit -qm s && echo changed > s.txt",
    ].join(' && ');
    ollama.script({ toolCalls: [{ name: 'bash', arguments: { command: plant } }] }, { text: 'Made a nested repository.' });
    const first = await runTask(id, 'Plant a filter');
    expect(first).toMatchObject({ status: 'succeeded' });
    // Not committed as a submodule, so git never looks into it.
    expect(git(dir, 'ls-tree', '-r', 'HEAD')).not.toContain('160000');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'after.txt', content: 'x\n' } }] }, { text: 'Wrote after.txt.' });
    expect((await runTask(id, 'Another run')).status).toBe('succeeded');
    expect((await hub.call('GET', `/projects/${id}/git/status`)).status).toBe(200);
    expect((await hub.call('GET', `/projects/${id}/git/diff`)).status).toBe(200);
    expect(existsSync(marker)).toBe(false);
  });

  it('undoes a run that made a repository inside the workspace: its files go, the repository stays', async () => {
    const { id, dir } = await project('cloned-inside');
    ollama.script(
      { toolCalls: [{ name: 'bash', arguments: { command: 'git init -q lib && cd lib && echo l > l.txt && git -c user.name=a -c user.email=a@b add -A && git -c user.name=a -c user.email=a@b commit -qm l && cd .. && echo top > top.txt' } }] },
      { text: 'Cloned lib and wrote top.txt.' },
    );
    const run = await runTask(id, 'Bring in lib');
    expect(run.status).toBe('succeeded');
    expect(run.files_changed.sort()).toEqual(['lib', 'top.txt']);
    const undone = await hub.call('POST', `/runs/${run.id}/undo`);
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(existsSync(path.join(dir, 'top.txt'))).toBe(false);
    expect(readFileSync(path.join(dir, 'lib', 'l.txt'), 'utf8')).toBe('l\n');
    expect(git(dir, 'status', '--porcelain')).toBe('?? lib/');
    expect((await hub.call('GET', `/tasks/${run.task_id}/comments`)).body.at(-1).body).toContain('Left as they are');
  });

  it('never removes, on undo, a file through a folder a later run replaced by a link', async () => {
    const { id, dir } = await project('linked');
    const outside = path.join(hub.dir, 'precious');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'keys'), 'secret\n');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'd/keys', content: 'made by the run\n' } }] }, { text: 'Wrote d/keys.' });
    const made = await runTask(id, 'Write d/keys');
    expect(made).toMatchObject({ status: 'succeeded', files_changed: ['d/keys'] });
    // A later run swaps the folder for a link out of the workspace, then fails: nothing committed.
    ollama.script(
      { toolCalls: [{ name: 'bash', arguments: { command: `rm -rf d && ln -s ${outside} d` } }] },
      { kind: 'http-error', status: 500, message: 'the model crashed' },
    );
    const failed = await runTask(id, 'Swap the folder');
    expect(failed.status).toBe('failed');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(made.git_head_after);
    expect((await hub.call('POST', `/runs/${made.id}/undo`)).status).toBe(200);
    expect(readFileSync(path.join(outside, 'keys'), 'utf8')).toBe('secret\n');
  });

  it('undoes a run once: the task goes back to todo, a second undo is refused', async () => {
    const { id, dir } = await project('once');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'once.txt', content: '1\n' } }] }, { text: 'Wrote once.txt.' });
    const run = await runTask(id, 'Write once.txt');
    expect((await hub.call('GET', `/tasks/${run.task_id}`)).body.status).toBe('review');
    // Two at once: one undoes, the other is told.
    const [first, second] = await Promise.all([hub.call('POST', `/runs/${run.id}/undo`), hub.call('POST', `/runs/${run.id}/undo`)]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const undone = first.status === 200 ? first : second;
    expect(undone.body.undone_at).toEqual(expect.any(String));
    expect((await hub.call('GET', `/tasks/${run.task_id}/comments`)).body.filter((comment: { body: string }) => comment.body.startsWith(`Run ${run.id} was undone`))).toHaveLength(1);
    expect((await hub.call('GET', `/tasks/${run.task_id}`)).body.status).toBe('todo');
    const again = await hub.call('POST', `/runs/${run.id}/undo`);
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('already_undone');
    expect(existsSync(path.join(dir, 'once.txt'))).toBe(false);
  });

  it('refuses to undo a run when the workspace has moved on, or when the run has not ended', async () => {
    const { id, dir } = await project('moved');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'a.txt', content: 'a\n' } }] }, { text: 'Done.' });
    const run = await runTask(id, 'Write a.txt');
    writeFileSync(path.join(dir, 'later.txt'), 'later\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'later work');
    const refused = await hub.call('POST', `/runs/${run.id}/undo`);
    expect(refused.status).toBe(409);
    expect(errorCode(refused)).toBe('workspace_moved_on');
    expect(existsSync(path.join(dir, 'later.txt'))).toBe(true);
    expect((await hub.call('POST', '/runs/999999/undo')).status).toBe(404);
  });

  it("shows a project's git status, log and uncommitted diff", async () => {
    const { id, dir } = await project('inspected');
    const before = (await hub.call('GET', `/projects/${id}/git/status`)).body;
    expect(before).toEqual({ repository: false, branch: null, head: null, changes: [] });
    expect((await hub.call('GET', `/projects/${id}/git/log`)).body).toEqual([]);

    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'index.html', content: '<h1>Hi</h1>\n' } }] }, { text: 'Created index.html.' });
    const run = await runTask(id, 'Create index.html');
    writeFileSync(path.join(dir, 'index.html'), '<h1>Hello</h1>\n');
    writeFileSync(path.join(dir, 'scratch.txt'), 'x\n');

    const status = (await hub.call('GET', `/projects/${id}/git/status`)).body;
    expect(status).toMatchObject({ repository: true, branch: 'main', head: run.git_head_after });
    expect(status.changes).toEqual([
      { status: ' M', path: 'index.html' },
      { status: '??', path: 'scratch.txt' },
    ]);
    const log = (await hub.call('GET', `/projects/${id}/git/log?limit=5`)).body;
    expect(log[0]).toMatchObject({ sha: run.git_head_after, author: 'Hub Bot', subject: `wfhub run ${run.id}: Created index.html.` });
    expect(log).toHaveLength(2);
    const diff = await hub.app.inject({ method: 'GET', url: `/projects/${id}/git/diff` });
    expect(diff.body).toContain('-<h1>Hi</h1>');
    expect(diff.body).toContain('+<h1>Hello</h1>');
    expect((await hub.call('GET', '/projects/999999/git/status')).status).toBe(404);
    expect((await hub.call('GET', `/projects/${id}/git/log?limit=0`)).status).toBe(400);

    // A staged rename is one change, under its new name.
    git(dir, 'checkout', '-q', '--', 'index.html');
    git(dir, 'mv', 'index.html', 'page.html');
    const renamed = (await hub.call('GET', `/projects/${id}/git/status`)).body;
    expect(renamed.changes).toEqual([
      { status: 'R ', path: 'page.html' },
      { status: '??', path: 'scratch.txt' },
    ]);
  });

  it("leaves the user's work alone: a file they were editing is not committed, later edits survive an undo", async () => {
    const { id, dir } = await project('careful');
    repositoryWith(dir, { 'app.js': 'line1\n', 'other.txt': 'other\n' }, 'mine');
    writeFileSync(path.join(dir, 'app.js'), 'line1 USER WIP\n');
    writeFileSync(path.join(dir, 'untracked-mine.txt'), 'mine\n');
    ollama.script(
      { toolCalls: [{ name: 'edit', arguments: { path: 'app.js', old_string: 'line1 USER WIP', new_string: 'line1 USER WIP\nagent line' } }] },
      { toolCalls: [{ name: 'bash', arguments: { command: 'rm untracked-mine.txt; echo b > "f[1].txt"; printf "a\\000b" > nul.bin' } }] },
      { toolCalls: [{ name: 'write', arguments: { path: 'nul.txt', content: 'a\u0000b' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Done' } }] },
    );
    const run = await runTask(id, 'Careful run');
    expect(run.status).toBe('succeeded');
    expect(run.files_changed).toEqual(expect.arrayContaining(['app.js', 'f[1].txt', 'untracked-mine.txt']));
    // The commit holds only what was the run's alone: not app.js, which held the user's work in progress.
    const committed = git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n');
    expect(committed).not.toContain('app.js');
    expect(committed).toContain('f[1].txt');
    expect(git(dir, 'log', '-1', '--format=%s', '--', 'app.js')).toBe('mine');

    // Later, the user edits a file the run never touched; an undo keeps that edit.
    writeFileSync(path.join(dir, 'other.txt'), 'edited after the run\n');
    expect((await hub.call('POST', `/runs/${run.id}/undo`)).status).toBe(200);
    expect(readFileSync(path.join(dir, 'other.txt'), 'utf8')).toBe('edited after the run\n');
    expect(readFileSync(path.join(dir, 'app.js'), 'utf8')).toBe('line1 USER WIP\n');
    expect(readFileSync(path.join(dir, 'untracked-mine.txt'), 'utf8')).toBe('mine\n');
    expect(existsSync(path.join(dir, 'f[1].txt'))).toBe(false);
  });

  it("answers a new repository's status and diff, and never commits what the user staged in it", async () => {
    const { id, dir } = await project('fresh');
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    writeFileSync(path.join(dir, 'secret.txt'), 'staged by me\n');
    git(dir, 'add', 'secret.txt');
    const diff = await hub.app.inject({ method: 'GET', url: `/projects/${id}/git/diff` });
    expect(diff.statusCode).toBe(200);
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'a.txt', content: 'a\n' } }] }, { text: 'Done.' });
    const run = await runTask(id, 'In a new repository');
    expect(run.status).toBe('succeeded');
    expect(git(dir, 'log', '--format=%s', '--name-only').includes('secret.txt')).toBe(false);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('secret.txt');
  });
});
