import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { git, repositoryWith } from '../helpers/git.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('worktree isolation and merging on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, gitUserName: 'Hub Bot', gitUserEmail: 'bot@example.com', maxConcurrentRuns: 2 });
    await hub.services.scheduler.start();
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  /** A project on a repository with one commit of the user's, isolated per task. */
  async function isolatedProject(name: string, settings: Record<string, unknown> = {}) {
    const dir = path.join(hub.dir, 'workspaces', name);
    repositoryWith(dir, { 'README.md': '# Project\n', 'shared.txt': 'one\ntwo\nthree\n' });
    const project = (await hub.call('POST', '/projects', { name, workspace_path: name, settings: { isolation: 'worktree', ...settings } })).body;
    return { id: project.id as number, dir };
  }


  const newTask = async (projectId: number, title: string) => (await hub.call('POST', '/tasks', { project_id: projectId, title })).body as { id: number };

  it("runs each task on its own branch in its own worktree, side by side, and never touches the user's checkout", async () => {
    const { id, dir } = await isolatedProject('parallel');
    writeFileSync(path.join(dir, 'README.md'), '# Project\n\nMy notes, not committed.\n');
    const first = await newTask(id, 'Write a.txt');
    const second = await newTask(id, 'Write b.txt');
    // Both wait on the model at the same time: in one workspace they would have to take turns.
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'from-task.txt', content: 'first\n' } }], firstByteDelayMs: 1500 },
      { toolCalls: [{ name: 'write', arguments: { path: 'from-task.txt', content: 'second\n' } }], firstByteDelayMs: 1500 },
      { text: 'Wrote from-task.txt.' },
      { text: 'Wrote from-task.txt.' },
    );
    const runA = (await hub.call('POST', `/tasks/${first.id}/trigger`)).body;
    const runB = (await hub.call('POST', `/tasks/${second.id}/trigger`)).body;
    const deadline = Date.now() + 20_000;
    let both = false;
    while (!both && Date.now() < deadline) {
      const statuses = await Promise.all([runA.id, runB.id].map(async (runId) => (await hub.call('GET', `/runs/${runId}`)).body.status));
      both = statuses.every((status) => status === 'running');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(both).toBe(true);
    const [a, b] = [await hub.ended(runA.id), await hub.ended(runB.id)];
    expect(a).toMatchObject({ status: 'succeeded', isolation: 'worktree', branch: `wfhub/task-${first.id}`, files_changed: ['from-task.txt'] });
    expect(b).toMatchObject({ status: 'succeeded', isolation: 'worktree', branch: `wfhub/task-${second.id}`, files_changed: ['from-task.txt'] });
    // Each committed on its own branch, on top of the user's main.
    const main = git(dir, 'rev-parse', 'main');
    expect(a.git_head_before).toBe(main);
    // Which run got which reply is up to the order they asked in.
    const firstContent = git(dir, 'show', `wfhub/task-${first.id}:from-task.txt`);
    const secondContent = git(dir, 'show', `wfhub/task-${second.id}:from-task.txt`);
    expect([firstContent, secondContent].sort()).toEqual(['first', 'second']);
    expect(git(dir, 'log', '-1', '--format=%an', `wfhub/task-${first.id}`)).toBe('Hub Bot');
    // The user's checkout: same branch, same commit, their notes still there, no task file.
    expect(git(dir, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(existsSync(path.join(dir, 'from-task.txt'))).toBe(false);
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('My notes, not committed.');
    // The worktrees live under the data dir, and the comment says how to merge.
    const worktree = path.join(hub.dir, 'data', 'worktrees', String(id), `task-${first.id}`);
    expect(readFileSync(path.join(worktree, 'from-task.txt'), 'utf8')).toBe(`${firstContent}\n`);
    const comment = (await hub.call('GET', `/tasks/${first.id}/comments`)).body.at(-1).body;
    expect(comment).toContain(`on branch wfhub/task-${first.id}`);
    expect(comment).toContain(`POST /tasks/${first.id}/merge`);

    // Merging the first: checked, then done, with the user's notes still uncommitted.
    const dry = await hub.call('POST', `/tasks/${first.id}/merge`, { dry_run: true });
    expect(dry.body).toMatchObject({ status: 'mergeable', target: 'main', files: ['from-task.txt'], commit: null });
    expect(git(dir, 'rev-parse', 'main')).toBe(main);
    const merged = await hub.call('POST', `/tasks/${first.id}/merge`);
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body).toMatchObject({ status: 'merged', target: 'main', files: ['from-task.txt'] });
    expect(git(dir, 'rev-parse', 'main')).toBe(merged.body.commit);
    expect(git(dir, 'log', '-1', '--format=%P', 'main').split(' ')).toEqual([main, a.git_head_after]);
    expect(readFileSync(path.join(dir, 'from-task.txt'), 'utf8')).toBe(`${firstContent}\n`);
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('My notes, not committed.');
    expect(git(dir, 'status', '--porcelain')).toBe('M README.md');
    expect((await hub.call('GET', `/tasks/${first.id}`)).body.status).toBe('done');
    expect(existsSync(worktree)).toBe(false);
    expect(git(dir, 'branch', '--list', `wfhub/task-${first.id}`)).toBe('');
    expect((await hub.call('GET', `/tasks/${first.id}/comments`)).body.at(-1).body).toContain(`Merged wfhub/task-${first.id} into main as ${merged.body.commit.slice(0, 12)}`);

    // The second changed the same file: it conflicts now, and nothing is changed.
    const conflict = await hub.call('POST', `/tasks/${second.id}/merge`);
    expect(conflict.status).toBe(409);
    expect(errorCode(conflict)).toBe('merge_conflict');
    expect(conflict.body.error.details.conflicts).toEqual(['from-task.txt']);
    expect((await hub.call('POST', `/tasks/${second.id}/merge`, { dry_run: true })).body).toMatchObject({ status: 'conflict', conflicts: ['from-task.txt'] });
    expect(git(dir, 'rev-parse', 'main')).toBe(merged.body.commit);
    expect(readFileSync(path.join(dir, 'from-task.txt'), 'utf8')).toBe(`${firstContent}\n`);
    expect((await hub.call('GET', `/tasks/${second.id}`)).body.status).toBe('review');
  });

  it("refuses a merge that would overwrite the user's uncommitted change, and one into a branch checked out elsewhere", async () => {
    const { id, dir } = await isolatedProject('careful');
    const task = await newTask(id, 'Change shared.txt');
    ollama.script({ toolCalls: [{ name: 'edit', arguments: { path: 'shared.txt', old_string: 'two', new_string: 'TWO' } }] }, { text: 'Edited.' });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(run).toMatchObject({ status: 'succeeded', files_changed: ['shared.txt'] });

    writeFileSync(path.join(dir, 'shared.txt'), 'one\ntwo\nthree\nmine\n');
    const before = git(dir, 'rev-parse', 'main');
    // A dry run says so too: it checks what the real merge checks.
    const dry = await hub.call('POST', `/tasks/${task.id}/merge`, { dry_run: true });
    expect(dry.status).toBe(409);
    expect(errorCode(dry)).toBe('local_changes');
    const refused = await hub.call('POST', `/tasks/${task.id}/merge`);
    expect(refused.status).toBe(409);
    expect(errorCode(refused)).toBe('local_changes');
    expect(refused.body.error.message).toContain('shared.txt');
    expect(readFileSync(path.join(dir, 'shared.txt'), 'utf8')).toBe('one\ntwo\nthree\nmine\n');
    expect(git(dir, 'rev-parse', 'main')).toBe(before);
    expect(git(dir, 'status', '--porcelain')).toBe('M shared.txt');
    git(dir, 'checkout', '-q', 'shared.txt');
    // A file only touched (its time changed, not its content) is no reason to refuse.
    utimesSync(path.join(dir, 'shared.txt'), new Date(), new Date(Date.now() + 60_000));
    expect((await hub.call('POST', `/tasks/${task.id}/merge`, { dry_run: true })).body).toMatchObject({ status: 'mergeable' });

    // A release branch checked out in a worktree of the user's own.
    git(dir, 'branch', 'release');
    const elsewhere = path.join(hub.dir, 'release-checkout');
    git(dir, 'worktree', 'add', '-q', elsewhere, 'release');
    const held = await hub.call('POST', `/tasks/${task.id}/merge`, { target: 'release' });
    expect(held.status).toBe(409);
    expect(errorCode(held)).toBe('branch_checked_out_elsewhere');
    expect(held.body.error.message).toContain(elsewhere);
    expect(git(dir, 'rev-parse', 'release')).toBe(before);

    // Into a branch nobody has checked out: only the branch moves.
    git(dir, 'worktree', 'remove', elsewhere);
    const intoRelease = await hub.call('POST', `/tasks/${task.id}/merge`, { target: 'release' });
    expect(intoRelease.body).toMatchObject({ status: 'merged', target: 'release' });
    expect(git(dir, 'show', 'release:shared.txt')).toBe('one\nTWO\nthree');
    expect(git(dir, 'rev-parse', 'main')).toBe(before);
    expect(readFileSync(path.join(dir, 'shared.txt'), 'utf8')).toBe('one\ntwo\nthree\n');

    expect(errorCode(await hub.call('POST', `/tasks/${task.id}/merge`, { target: 'nope' }))).toBe('no_task_branch');
    const other = await newTask(id, 'Never run');
    expect(errorCode(await hub.call('POST', `/tasks/${other.id}/merge`))).toBe('no_task_branch');
    expect((await hub.call('POST', '/tasks/999999/merge')).status).toBe(404);
    expect((await hub.call('POST', `/tasks/${other.id}/merge`, { target: 'main', force: true })).status).toBe(400);
  });

  it("lets the agent use git in its worktree, undoes a run there, and removes a deleted task's worktree but keeps its commits", async () => {
    const { id, dir } = await isolatedProject('tidy');
    const task = await newTask(id, 'Look at the history');
    ollama.script(
      { toolCalls: [{ name: 'bash', arguments: { command: 'git log --format=%s -1 && git status --short && echo added > added.txt' } }] },
      { text: 'Looked, and added added.txt.' },
    );
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(run).toMatchObject({ status: 'succeeded', files_changed: ['added.txt'] });
    const events = (await hub.call('GET', `/runs/${run.id}/events?limit=5000`)).body;
    const result = events.find((event: { type: string }) => event.type === 'tool.result');
    expect(JSON.stringify(result.data)).toContain('Start');

    const worktree = path.join(hub.dir, 'data', 'worktrees', String(id), `task-${task.id}`);
    const undone = await hub.call('POST', `/runs/${run.id}/undo`);
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(existsSync(path.join(worktree, 'added.txt'))).toBe(false);
    expect(git(dir, 'rev-parse', `wfhub/task-${task.id}`)).toBe(run.git_head_before);

    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'kept.txt', content: 'keep me\n' } }] }, { text: 'Wrote kept.txt.' });
    const kept = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(kept.status).toBe('succeeded');
    expect(existsSync(worktree)).toBe(true);
    expect((await hub.call('DELETE', `/tasks/${task.id}`)).status).toBe(204);
    await hub.services.scheduler.settled();
    expect(existsSync(worktree)).toBe(false);
    expect(git(dir, 'branch', '--list', `wfhub/task-${task.id}`)).toBe('');
    expect(git(dir, 'show', `refs/wfhub/deleted/task-${task.id}:kept.txt`)).toBe('keep me');
    expect(git(dir, 'worktree', 'list', '--porcelain').split('\n').filter((line) => line.startsWith('worktree '))).toHaveLength(1);
    // The repository is whole: the user's history and every object still there.
    expect(git(dir, 'fsck', '--no-progress', '--no-dangling')).toBe('');
    expect(git(dir, 'log', '--format=%s', 'main')).toBe('Start');
  });

  it("never works in, nor removes, a checkout of the task's branch that is not its worktree", async () => {
    const { id, dir } = await isolatedProject('reviewed');
    const task = await newTask(id, 'Write review.txt');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'review.txt', content: 'look\n' } }] }, { text: 'Wrote review.txt.' });
    expect((await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body.status).toBe('succeeded');
    // The worktree removed by hand, and the user checks the branch out to look at it.
    const worktree = path.join(hub.dir, 'data', 'worktrees', String(id), `task-${task.id}`);
    rmSync(worktree, { recursive: true, force: true });
    git(dir, 'worktree', 'prune');
    git(dir, 'checkout', '-q', `wfhub/task-${task.id}`);

    // Refused before the agent starts: the model is never asked.
    const asked = ollama.chatRequests.length;
    const refused = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'branch_checked_out_elsewhere' } });
    expect(refused.error.message).toContain(dir);
    expect(ollama.chatRequests.length).toBe(asked);

    expect((await hub.call('DELETE', `/tasks/${task.id}`)).status).toBe(204);
    await hub.services.scheduler.settled();
    // The user's checkout, its branch and its history are all still there.
    expect(readFileSync(path.join(dir, 'review.txt'), 'utf8')).toBe('look\n');
    expect(git(dir, 'symbolic-ref', '--short', 'HEAD')).toBe(`wfhub/task-${task.id}`);
    expect(git(dir, 'log', '--format=%s').split('\n').at(-1)).toBe('Start');
  });

  it('moves aside, never removes, a worktree folder the repository forgot (the workspace cloned again)', async () => {
    const { id, dir } = await isolatedProject('recloned', { auto_commit: false });
    const task = await newTask(id, 'Draft something');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'work.txt', content: 'precious\n' } }] }, { text: 'Drafted.' });
    expect((await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body.status).toBe('succeeded');
    // The workspace's repository made again: it knows nothing of the worktree.
    rmSync(path.join(dir, '.git'), { recursive: true, force: true });
    repositoryWith(dir, { 'README.md': '# Project\n' });
    ollama.script({ text: 'Nothing to do.' });
    expect((await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body.status).toBe('succeeded');
    const folder = path.join(hub.dir, 'data', 'worktrees', String(id));
    const aside = readdirSync(folder).find((name) => name.startsWith(`task-${task.id}.set-aside-`));
    expect(aside).toBeDefined();
    expect(readFileSync(path.join(folder, aside!, 'work.txt'), 'utf8')).toBe('precious\n');
  });

  it("keeps a deleted task's uncommitted worktree changes under refs/wfhub/deleted", async () => {
    const { id, dir } = await isolatedProject('uncommitted', { auto_commit: false });
    const task = await newTask(id, 'Leave it uncommitted');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'draft.txt', content: 'draft\n' } }] }, { text: 'Drafted.' });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger?wait=true`)).body;
    expect(run).toMatchObject({ status: 'succeeded', files_changed: ['draft.txt'], git_head_after: run.git_head_before });
    expect((await hub.call('DELETE', `/tasks/${task.id}`)).status).toBe(204);
    await hub.services.scheduler.settled();
    expect(git(dir, 'show', `refs/wfhub/deleted/task-${task.id}:draft.txt`)).toBe('draft');
  });

  it('merges two tasks at once one after the other, says when a branch is already in, and waits for a rebase under way', async () => {
    const { id, dir } = await isolatedProject('together');
    const first = await newTask(id, 'One');
    const second = await newTask(id, 'Two');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'one.txt', content: '1\n' } }] }, { text: 'One.' });
    expect((await hub.call('POST', `/tasks/${first.id}/trigger?wait=true`)).body.status).toBe('succeeded');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'two.txt', content: '2\n' } }] }, { text: 'Two.' });
    expect((await hub.call('POST', `/tasks/${second.id}/trigger?wait=true`)).body.status).toBe('succeeded');

    // A rebase the user has under way is left alone.
    mkdirSync(path.join(dir, '.git', 'rebase-merge'));
    const busy = await hub.call('POST', `/tasks/${first.id}/merge`);
    expect(errorCode(busy)).toBe('operation_in_progress');
    rmSync(path.join(dir, '.git', 'rebase-merge'), { recursive: true });

    const [a, b] = await Promise.all([hub.call('POST', `/tasks/${first.id}/merge`), hub.call('POST', `/tasks/${second.id}/merge`)]);
    expect([a.status, b.status], JSON.stringify([a.body, b.body])).toEqual([200, 200]);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(git(dir, 'show', 'main:one.txt')).toBe('1');
    expect(git(dir, 'show', 'main:two.txt')).toBe('2');

    // A branch merged by hand is already in: the task is done, and says so.
    const third = await newTask(id, 'Three');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'three.txt', content: '3\n' } }] }, { text: 'Three.' });
    expect((await hub.call('POST', `/tasks/${third.id}/trigger?wait=true`)).body.status).toBe('succeeded');
    git(dir, 'merge', '-q', '--no-edit', `wfhub/task-${third.id}`);
    const already = await hub.call('POST', `/tasks/${third.id}/merge`);
    expect(already.body).toMatchObject({ status: 'up_to_date' });
    expect((await hub.call('GET', `/tasks/${third.id}`)).body.status).toBe('done');
    expect((await hub.call('GET', `/tasks/${third.id}/comments`)).body.at(-1).body).toContain('already in main');
  });

  it("refuses a merge for a project that works in place, and a setting wfhub does not understand", async () => {
    const inPlace = (await hub.call('POST', '/projects', { name: 'in-place', workspace_path: 'in-place' })).body;
    const task = await newTask(inPlace.id, 'Nothing to merge');
    const refused = await hub.call('POST', `/tasks/${task.id}/merge`);
    expect(refused.status).toBe(409);
    expect(errorCode(refused)).toBe('no_task_branch');
    expect(refused.body.error.message).toContain('"isolation": "worktree"');
    const bad = await hub.call('PATCH', `/projects/${inPlace.id}`, { settings: { isolation: 'container' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('isolation');
    const badBranch = await hub.call('PATCH', `/projects/${inPlace.id}`, { settings: { isolation: 'worktree', base_branch: 'two words' } });
    expect(badBranch.status).toBe(400);
    expect((await hub.call('GET', `/projects/${inPlace.id}`)).body.settings).toEqual({});
  });
});
