import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends, createPostgresDatabase, dropPostgresDatabase } from '../helpers/database.js';
import { startWorker } from '../helpers/cli.js';
import { git } from '../helpers/git.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';
import { tempDir } from '../helpers/temp-dir.js';

describe.each(backends().filter((kind) => kind === 'postgres'))('workspaces across machines on %s', () => {
  let ollama: FakeOllama;
  let url: string;
  let folder: { dir: string; cleanup: () => void };
  let hub: TestHub;
  let worker: { child: ChildProcess; output: () => string };
  let remote: string;
  let serverWorkspaces: string;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    url = await createPostgresDatabase();
    folder = tempDir('wfhub-remote-');
    // The team's repository, and the server's checkout of it.
    remote = path.join(folder.dir, 'remote.git');
    git(folder.dir, 'init', '-q', '--bare', '-b', 'main', remote);
    const seed = path.join(folder.dir, 'seed');
    git(folder.dir, 'clone', '-q', remote, seed);
    writeFileSync(path.join(seed, 'README.md'), '# App\n');
    git(seed, 'add', '-A');
    git(seed, 'commit', '-q', '-m', 'Start');
    git(seed, 'push', '-q', 'origin', 'HEAD:main');
    serverWorkspaces = path.join(folder.dir, 'server', 'workspaces');
    mkdirSync(serverWorkspaces, { recursive: true });
    git(serverWorkspaces, 'clone', '-q', remote, 'app');
    // The server only triggers (its scheduler is not started at first); the worker on "another
    // machine" has a workspaces dir of its own, without the project's folder.
    hub = await createTestHub('postgres', { databaseUrl: url, workspacesDir: serverWorkspaces, ollamaHost: ollama.url, gitUserName: 'Hub Bot', gitUserEmail: 'bot@example.com' });
    const machine = path.join(folder.dir, 'machine-b');
    mkdirSync(machine, { recursive: true });
    worker = await startWorker(machine, { DATABASE_URL: url, OLLAMA_HOST: ollama.url, WFHUB_LOG_LEVEL: 'info', GIT_USER_NAME: 'Worker B', GIT_USER_EMAIL: 'b@example.com' });
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await hub?.close();
    await ollama?.stop();
    await dropPostgresDatabase(url);
    folder.cleanup();
  });


  it('lists the workers and the workspaces dir each serves', async () => {
    const workers = (await hub.call('GET', '/workers')).body;
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatchObject({ kind: 'worker', online: true, workspaces_dir: path.join(folder.dir, 'machine-b', 'workspaces') });
    expect(workers[0].workspaces_id).not.toBe(await hub.services.workspaces.id());
  });

  it('a worker without the folder clones the remote, works on the task branch and pushes it; the server merges and pushes', async () => {
    const project = (await hub.call('POST', '/projects', { name: 'App', workspace_path: 'app', settings: { git_remote: remote, isolation: 'worktree' } })).body;
    expect(project.workspaces_id).toBe(await hub.services.workspaces.id());
    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Add the feature' })).body;
    const branch = `wfhub/task-${task.id}`;

    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'feature.txt', content: 'v1\n' } }] }, { text: 'Added feature.txt.' });
    const first = await hub.ended((await hub.call('POST', `/tasks/${task.id}/trigger`)).body.id);
    expect(first, worker.output()).toMatchObject({ status: 'succeeded', isolation: 'clone', branch, files_changed: ['feature.txt'] });
    expect(git(remote, 'show', `${branch}:feature.txt`)).toBe('v1');
    expect(git(remote, 'log', '-1', '--format=%an', branch)).toBe('Worker B');
    const events = (await hub.call('GET', `/runs/${first.id}/events?limit=5000`)).body;
    expect(events.at(-1)).toMatchObject({ type: 'git.push', data: { pushed: true, branch, commit: first.git_head_after } });
    // The server's own checkout was not touched by a run that happened elsewhere.
    expect(existsSync(path.join(serverWorkspaces, 'app', 'feature.txt'))).toBe(false);

    // The next run starts from the branch as the remote has it.
    ollama.script({ toolCalls: [{ name: 'edit', arguments: { path: 'feature.txt', old_string: 'v1', new_string: 'v2' } }] }, { text: 'Improved it.' });
    const second = await hub.ended((await hub.call('POST', `/tasks/${task.id}/trigger`)).body.id);
    expect(second).toMatchObject({ status: 'succeeded', isolation: 'clone', git_head_before: first.git_head_after });
    expect(git(remote, 'show', `${branch}:feature.txt`)).toBe('v2');

    // An undo puts the remote's branch back, from wherever it is asked.
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'junk.txt', content: 'oops\n' } }] }, { text: 'Added junk.' });
    const third = await hub.ended((await hub.call('POST', `/tasks/${task.id}/trigger`)).body.id);
    expect(git(remote, 'rev-parse', branch)).toBe(third.git_head_after);
    const undone = await hub.call('POST', `/runs/${third.id}/undo`);
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(git(remote, 'rev-parse', branch)).toBe(second.git_head_after);
    expect(errorCode(await hub.call('POST', `/runs/${third.id}/undo`))).toBe('already_undone');

    // The server sees the workspace: it brings the branch in from the remote, merges, pushes main.
    const merged = await hub.call('POST', `/tasks/${task.id}/merge`);
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body).toMatchObject({ status: 'merged', target: 'main', files: ['feature.txt'], pushed: true, push_error: null });
    expect(readFileSync(path.join(serverWorkspaces, 'app', 'feature.txt'), 'utf8')).toBe('v2\n');
    expect(git(remote, 'rev-parse', 'main')).toBe(merged.body.commit);
    expect(git(remote, 'branch', '--list', branch)).toBe('');
    expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('done');
  });

  it('a server that cannot see the workspace merges in its own clone, and pushes only if the target did not move', async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Remote only', workspace_path: 'remote-only', settings: { git_remote: remote } })).body;
    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Add docs' })).body;
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'docs.md', content: '# Docs\n' } }] }, { text: 'Wrote docs.md.' });
    const run = await hub.ended((await hub.call('POST', `/tasks/${task.id}/trigger`)).body.id);
    expect(run).toMatchObject({ status: 'succeeded', isolation: 'clone' });

    // Another server on the same database, on a machine without the folder.
    const elsewhere = await createTestHub('postgres', { databaseUrl: url, workspacesDir: path.join(folder.dir, 'machine-c', 'workspaces'), ollamaHost: ollama.url });
    try {
      const dry = await elsewhere.call('POST', `/tasks/${task.id}/merge`, { dry_run: true });
      expect(dry.body).toMatchObject({ status: 'mergeable', files: ['docs.md'] });
      const mainBefore = git(remote, 'rev-parse', 'main');
      const merged = await elsewhere.call('POST', `/tasks/${task.id}/merge`);
      expect(merged.status, JSON.stringify(merged.body)).toBe(200);
      expect(merged.body).toMatchObject({ status: 'merged', pushed: true });
      expect(git(remote, 'log', '-1', '--format=%P', 'main').split(' ')).toEqual([mainBefore, run.git_head_after]);
      expect(git(remote, 'show', 'main:docs.md')).toBe('# Docs');
      expect(git(remote, 'branch', '--list', `wfhub/task-${task.id}`)).toBe('');
      expect((await hub.call('GET', `/tasks/${task.id}`)).body.status).toBe('done');
    } finally {
      await elsewhere.close();
    }
  });

  it("runs a project that lives only in the server's folder on the server, never on the worker that cannot see it", async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Local only', workspace_path: 'local-only' })).body;
    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Stay here' })).body;
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'here.txt', content: 'server\n' } }] }, { text: 'Wrote here.txt.' });
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
    // The worker polls its queues twice a second: a few seconds is many chances to take it.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await hub.call('GET', `/runs/${run.id}`)).body.status).toBe('queued');
    expect(ollama.chatRequests.length).toBeGreaterThan(0);
    const requestsBefore = ollama.chatRequests.length;

    await hub.services.scheduler.start();
    const done = await hub.ended(run.id);
    expect(done).toMatchObject({ status: 'succeeded', isolation: 'in-place' });
    expect(ollama.chatRequests.length).toBe(requestsBefore + 2);
    expect(readFileSync(path.join(serverWorkspaces, 'local-only', 'here.txt'), 'utf8')).toBe('server\n');
    const workers = (await hub.call('GET', '/workers')).body;
    expect(workers.map((entry: { kind: string }) => entry.kind).sort()).toEqual(['serve', 'worker']);
  });

  it('sends a run taken from the wrong queue (its git remote removed meanwhile) to the workers that can do it, instead of failing it', async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Moved', workspace_path: 'moved', settings: { git_remote: remote } })).body;
    const task = (await hub.call('POST', '/tasks', { project_id: project.id, title: 'Wait for the right worker' })).body;
    // Queued for anyone (it had a remote), then the remote goes and the folder is elsewhere.
    await hub.services.scheduler.stop();
    worker.child.kill('SIGSTOP');
    try {
      const run = (await hub.call('POST', `/tasks/${task.id}/trigger`)).body;
      expect((await hub.call('PATCH', `/projects/${project.id}`, { settings: { git_remote: null } })).status).toBe(200);
      await hub.services.db.execute(sql`update projects set workspaces_id = 'a-machine-that-is-off' where id = ${project.id}`);
      // A machine known to serve that dir, away for now: its projects stay its own.
      await hub.services.db.execute(
        sql`insert into workers (id, host, pid, kind, workspaces_dir, workspaces_id, concurrency, version, seen_at) values ('off:1', 'off', 1, 'worker', '/srv/workspaces', 'a-machine-that-is-off', 1, '0', now() - interval '1 hour')`,
      );
      const asked = ollama.chatRequests.length;
      await hub.services.scheduler.start();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const after = (await hub.call('GET', `/runs/${run.id}`)).body;
      expect(after, JSON.stringify(after)).toMatchObject({ status: 'queued', error: null });
      expect(ollama.chatRequests.length).toBe(asked);
    } finally {
      worker.child.kill('SIGCONT');
    }
  });

  it('refuses a chat on a server that cannot see the project\'s folder, keeping nothing', async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Here only', workspace_path: 'here-only' })).body;
    const elsewhere = await createTestHub('postgres', { databaseUrl: url, workspacesDir: path.join(folder.dir, 'machine-c', 'workspaces'), ollamaHost: ollama.url });
    try {
      const refused = await elsewhere.call('POST', `/projects/${project.id}/chat?stream=false`, { message: 'What is in here?' });
      expect(refused.status).toBe(409);
      expect(errorCode(refused)).toBe('workspace_not_here');
      expect(refused.body.error.message).toContain('the agent cannot chat in it from this server');
      expect((await hub.call('GET', `/projects/${project.id}/chats`)).body).toEqual([]);
      expect(existsSync(path.join(folder.dir, 'machine-c', 'workspaces', 'here-only'))).toBe(false);
    } finally {
      await elsewhere.close();
    }
  });
});
