import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockFilePath } from '../../src/db/data-dir-lock.js';
import { runCli, startServe, type ServerProcess } from '../helpers/cli.js';
import { backends, createPostgresDatabase, dropPostgresDatabase } from '../helpers/database.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('wfhub command on the embedded database, without a server', () => {
  const { dir, cleanup } = tempDir('wfhub-cli-');
  afterAll(cleanup);
  const wfhub = (...args: string[]) => runCli(args, { cwd: dir });

  it('adds and lists projects and tasks, and shows a task whole', async () => {
    const project = await wfhub('project', 'add', 'POC', '--workspace', 'poc', '--env', 'stack=node');
    expect(project.stderr).toContain('creating the embedded database');
    expect(project.code).toBe(0);
    expect(project.stdout).toContain('created project 1 "POC"');
    expect(existsSync(path.join(dir, 'workspaces', 'poc'))).toBe(true);

    const task = await wfhub('task', 'add', 'Create hello.txt', '--project', 'poc', '-c', 'hello.txt exists', '-c', 'it says hello', '--node', 'dev');
    expect(task.code, task.stderr).toBe(0);
    expect(task.stdout).toContain('created task 1 "Create hello.txt" in project POC');
    const subtask = await wfhub('task', 'add', 'Write the greeting', '--project', '1', '--parent', '1', '--json');
    expect(JSON.parse(subtask.stdout)).toMatchObject({ id: 2, parent_id: 1, project_id: 1 });

    const projects = await wfhub('project', 'list', '--json');
    expect(JSON.parse(projects.stdout)).toMatchObject([{ id: 1, name: 'POC', workspace_path: 'poc', environment: { stack: 'node' } }]);

    const list = await wfhub('task', 'list', '--project', 'POC');
    expect(list.stdout).toMatch(/1\s+todo\s+dev\s+Create hello.txt/);
    expect(list.stdout).toContain('2 of 2 tasks');

    const show = await wfhub('task', 'show', '1');
    expect(show.stdout).toContain('#1 Create hello.txt');
    expect(show.stdout).toContain('[ ] hello.txt exists');
    expect(show.stdout).toContain('[ ] it says hello');
    expect(show.stdout).toContain('#2 [todo] Write the greeting');
    expect(existsSync(lockFilePath(path.join(dir, '.wfhub')))).toBe(false);
  });

  it("shows a task's context and the prompt a run would send, even with no model server", async () => {
    const context = await wfhub('task', 'context', '1', '--concise', '--json');
    expect(context.code, context.stderr).toBe(0);
    expect(JSON.parse(context.stdout)).toMatchObject({ concise: true, objective: 'Create hello.txt', project: { name: 'POC', environment: { stack: 'node' } } });

    const prompt = await runCli(['task', 'prompt', '1', '--message', 'Say hi'], { cwd: dir, env: { OLLAMA_HOST: 'http://127.0.0.1:9' } });
    expect(prompt.code, prompt.stderr).toBe(0);
    expect(prompt.stdout).toContain('model qwen2.5-coder:3b, role dev, window 16384 tokens');
    expect(prompt.stdout).toContain('The model server could not describe qwen2.5-coder:3b');
    expect(prompt.stdout).toContain('not a git repository yet');
    expect(prompt.stdout).toContain('--- task ---\n## Project (PROJECT_INFO)');
    expect(prompt.stdout).toContain('# Task: Create hello.txt');
    expect(prompt.stdout).toContain('- [ ] it says hello');
    expect(prompt.stdout).toContain('## Instructions for this run\nSay hi');
    const json = await runCli(['task', 'prompt', '1', '--json', '--node', 'qa'], { cwd: dir, env: { OLLAMA_HOST: 'http://127.0.0.1:9' } });
    expect(JSON.parse(json.stdout)).toMatchObject({ task_id: 1, node: 'qa', trimmed: [] });
    const badNode = await runCli(['task', 'prompt', '1', '--node', 'nobody'], { cwd: dir, env: { OLLAMA_HOST: 'http://127.0.0.1:9' } });
    expect(badNode.code).toBe(1);
    expect(badNode.stderr).toContain('node nobody does not exist');
  });

  it('sets autopilot and blockers on add and update, and shows them', async () => {
    const added = await wfhub('task', 'add', 'Ship it', '--project', 'POC', '--autopilot', '--blocked-by', '2,1', '--json');
    expect(added.code, added.stderr).toBe(0);
    const task = JSON.parse(added.stdout);
    expect(task).toMatchObject({ autopilot: true, blocked_by: [1, 2] });
    const show = await wfhub('task', 'show', String(task.id));
    expect(show.stdout).toContain('autopilot: on   blocked by: #1, #2');

    const updated = await wfhub('task', 'update', String(task.id), '--no-autopilot', '--blocked-by', '1');
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain(`updated task ${task.id} "Ship it"`);
    expect(updated.stdout).toContain('autopilot: off   blocked by: #1');
    const cleared = await wfhub('task', 'update', String(task.id), '--blocked-by', 'none', '--json');
    expect(JSON.parse(cleared.stdout)).toMatchObject({ autopilot: false, blocked_by: [] });

    expect((await wfhub('task', 'update', '1', '--blocked-by', String(task.id))).code).toBe(0);
    const cycle = await wfhub('task', 'update', String(task.id), '--blocked-by', '1');
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toContain(`would close the cycle #${task.id} → #1 → #${task.id}`);
    expect((await wfhub('task', 'update', '1', '--blocked-by', 'none')).code).toBe(0);
    const badIds = await wfhub('task', 'update', '1', '--blocked-by', '1,x');
    expect(badIds.code).not.toBe(0);
    expect(badIds.stderr).toContain('expected a whole number');
  });

  it('says what is wrong, on stderr, with a non-zero exit', async () => {
    const missing = await wfhub('task', 'show', '999');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('task 999 does not exist');
    const badStatus = await wfhub('task', 'list', '--project', 'POC', '--status', 'finished');
    expect(badStatus.code).not.toBe(0);
    expect(badStatus.stderr).toContain('use one of todo');
    const badProject = await wfhub('task', 'add', 'x', '--project', 'nope');
    expect(badProject.code).toBe(1);
    expect(badProject.stderr).toContain('project nope does not exist');
    const badId = await wfhub('task', 'show', 'abc');
    expect(badId.code).not.toBe(0);
    expect(badId.stderr).toContain('expected a whole number');
    const badEnv = await wfhub('project', 'add', 'Env', '-e', 'NOEQ');
    expect(badEnv.code).not.toBe(0);
    expect(badEnv.stderr).toContain('"NOEQ" is not KEY=VALUE');
    const badConfig = await runCli(['project', 'list'], { cwd: dir, env: { ATTACHMENT_MAX_BYTES: 'lots' } });
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toContain('ATTACHMENT_MAX_BYTES');
  });

  it('migrates on demand', async () => {
    const result = await wfhub('migrate');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('database is up to date');
  });
});

describe('wfhub -C, for a command started in another folder (an editor starting wfhub mcp)', () => {
  const home = tempDir('wfhub-cli-home-');
  const elsewhere = tempDir('wfhub-cli-elsewhere-');
  afterAll(() => {
    home.cleanup();
    elsewhere.cleanup();
  });

  it("reads the given folder's .env and resolves relative paths there", async () => {
    writeFileSync(path.join(home.dir, '.env'), 'WFHUB_DATA_DIR=store\nWFHUB_WORKSPACES_DIR=code\n');
    const added = await runCli(['-C', home.dir, 'project', 'add', 'Far', '--workspace', 'far'], { cwd: elsewhere.dir });
    expect(added.code, added.stderr).toBe(0);
    expect(existsSync(path.join(home.dir, 'store'))).toBe(true);
    expect(existsSync(path.join(home.dir, 'code', 'far'))).toBe(true);
    expect(existsSync(path.join(elsewhere.dir, '.wfhub'))).toBe(false);
    const listed = await runCli(['--dir', home.dir, 'project', 'list', '--json'], { cwd: elsewhere.dir });
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: 'Far', workspace_path: 'far' }]);
  });

  it('says so when the folder does not exist', async () => {
    const missing = await runCli(['-C', path.join(elsewhere.dir, 'nope'), 'project', 'list'], { cwd: elsewhere.dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--dir .*there is no folder/);
    const throughFile = await runCli(['-C', path.join(home.dir, '.env', 'x'), 'project', 'list'], { cwd: elsewhere.dir });
    expect(throughFile.code).toBe(1);
    expect(throughFile.stderr).toMatch(/--dir .*there is no folder/);
  });
});

describe('wfhub serve', () => {
  const { dir, cleanup } = tempDir('wfhub-serve-');
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServe({ cwd: dir });
  });
  afterAll(async () => {
    await server?.stop();
    cleanup();
  });

  it('says where it listens and where its data is', () => {
    expect(server.output()).toContain(`wfhub listening on ${server.url}`);
    expect(server.output()).toContain(path.join(dir, '.wfhub'));
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers the seed's curl flow (JSON sent with a form content-type, as curl -d does)", async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const project = await fetch(`${server.url}/projects`, { method: 'POST', headers: form, body: '{"name":"POC","workspace_path":"poc"}' });
    expect(project.status).toBe(201);
    const projectId = ((await project.json()) as { id: number }).id;
    const task = await fetch(`${server.url}/tasks`, {
      method: 'POST',
      headers: form,
      body: JSON.stringify({ project_id: projectId, title: 'Create hello.txt' }),
    });
    expect(task.status).toBe(201);
    expect(existsSync(path.join(dir, 'workspaces', 'poc'))).toBe(true);
  });

  it('lets the CLI work through the running server, which holds the database', async () => {
    const added = await runCli(['task', 'add', 'From the CLI', '--project', 'POC'], { cwd: dir });
    expect(added.code, added.stderr).toBe(0);
    const tasks = (await (await fetch(`${server.url}/projects/1/tasks`)).json()) as { title: string }[];
    expect(tasks.map((task: { title: string }) => task.title)).toContain('From the CLI');
    const listed = await runCli(['task', 'list', '--project', 'POC'], { cwd: dir });
    expect(listed.stdout).toContain('From the CLI');
    expect(listed.stdout).toContain('Create hello.txt');
    const prompt = await runCli(['task', 'prompt', '1', '--json'], { cwd: dir });
    expect(prompt.code, prompt.stderr).toBe(0);
    expect(JSON.parse(prompt.stdout).user).toContain('# Task: Create hello.txt');
  });

  it('refuses a second server on the same data dir, naming the first', async () => {
    const second = await runCli(['serve', '--port', '0'], { cwd: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('in use by wfhub process');
    expect(second.stderr).toContain(server.url);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe('wfhub serve after a crash', () => {
  const { dir, cleanup } = tempDir('wfhub-crash-');
  afterAll(cleanup);

  it('keeps everything acknowledged before kill -9, and starts again over the stale lock', async () => {
    const first = await startServe({ cwd: dir });
    const created = await fetch(`${first.url}/projects`, { method: 'POST', body: JSON.stringify({ name: 'Survivor', workspace_path: 'survivor' }) });
    expect(created.status).toBe(201);
    const task = await fetch(`${first.url}/tasks`, { method: 'POST', body: JSON.stringify({ project_id: 1, title: 'remember me' }) });
    expect(task.status).toBe(201);
    await first.stop('SIGKILL');
    expect(existsSync(lockFilePath(path.join(dir, '.wfhub')))).toBe(true);

    const second = await startServe({ cwd: dir });
    try {
      const tasks = (await (await fetch(`${second.url}/projects/1/tasks`)).json()) as { title: string }[];
      expect(tasks.map((item: { title: string }) => item.title)).toEqual(['remember me']);
      expect(JSON.parse(readFileSync(lockFilePath(path.join(dir, '.wfhub')), 'utf8')).pid).toBe(second.child.pid);
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
    expect(existsSync(lockFilePath(path.join(dir, '.wfhub')))).toBe(false);
  });
});

describe('wfhub serve stopped and started again', () => {
  const { dir, cleanup } = tempDir('wfhub-restart-');
  afterAll(cleanup);

  it('keeps numbering ids where it left off', async () => {
    const ids: number[] = [];
    for (let round = 0; round < 2; round++) {
      const server = await startServe({ cwd: dir });
      const created = await fetch(`${server.url}/projects`, { method: 'POST', body: JSON.stringify({ name: `round ${round}` }) });
      ids.push(((await created.json()) as { id: number }).id);
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(ids).toEqual([1, 2]);
  });
});

describe('wfhub serve refuses unsafe or broken settings', () => {
  const { dir, cleanup } = tempDir('wfhub-refuse-');
  afterAll(cleanup);

  it('will not listen beyond loopback without a token', async () => {
    const result = await runCli(['serve'], { cwd: dir, env: { WFHUB_HOST: '0.0.0.0' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('WFHUB_TOKEN');
  });

  it('says when the data dir cannot be used', async () => {
    writeFileSync(path.join(dir, 'a-file'), 'not a folder');
    const result = await runCli(['serve'], { cwd: dir, env: { WFHUB_DATA_DIR: path.join(dir, 'a-file', 'data') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('WFHUB_DATA_DIR');
  });

  it('names the variable that is wrong', async () => {
    const result = await runCli(['serve'], { cwd: dir, env: { WFHUB_PORT: 'eighty' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('WFHUB_PORT');
  });
});

describe.each(backends().filter((kind) => kind === 'postgres'))('wfhub on %s', () => {
  const { dir, cleanup } = tempDir('wfhub-pg-');
  let url: string;
  beforeAll(async () => {
    url = await createPostgresDatabase();
  });
  afterAll(async () => {
    await dropPostgresDatabase(url);
    cleanup();
  });

  it('serves from PostgreSQL, and the CLI and a second server share the database', async () => {
    const env = { DATABASE_URL: url };
    const first = await startServe({ cwd: dir, env });
    const second = await startServe({ cwd: dir, env, dataDir: path.join(dir, 'other-data') });
    try {
      expect(first.output()).toContain('data in postgres');
      const created = await fetch(`${first.url}/projects`, { method: 'POST', body: JSON.stringify({ name: 'Shared', workspace_path: 'shared' }) });
      expect(created.status).toBe(201);
      const added = await runCli(['task', 'add', 'Through the database', '--project', 'Shared'], { cwd: dir, env });
      expect(added.code, added.stderr).toBe(0);
      const tasks = (await (await fetch(`${second.url}/projects/1/tasks`)).json()) as { title: string }[];
      expect(tasks.map((task) => task.title)).toEqual(['Through the database']);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
