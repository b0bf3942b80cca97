import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { git } from '../helpers/git.js';
import { liveProcessesWith, uniqueSeconds, waitFor } from '../helpers/processes.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

const fakes = path.resolve('test/fakes/cli');
const cliAgents = ['aider', 'claude', 'codex', 'opencode', 'gemini'] as const;
const fakeVariables = ['WFHUB_FAKE_MODE', 'WFHUB_FAKE_RECORD', 'WFHUB_FAKE_PROBE', 'WFHUB_FAKE_MARKER'];

describe.each(backends())('executors on %s', (kind) => {
  let hub: TestHub;
  const originalPath = process.env.PATH;
  let count = 0;

  beforeAll(async () => {
    // The fakes speak each tool's documented output; the hub finds them on PATH as it would the real ones.
    process.env.PATH = `${fakes}:${originalPath}`;
    hub = await createTestHub(kind, { model: 'qwen2.5-coder:3b', numCtx: 8192, gitUserName: 'Hub Bot', gitUserEmail: 'bot@example.com' });
    await hub.services.scheduler.start();
  });
  afterEach(() => {
    for (const name of fakeVariables) delete process.env[name];
    process.env.PATH = `${fakes}:${originalPath}`;
  });
  afterAll(async () => {
    process.env.PATH = originalPath;
    await hub?.close();
  });

  async function project(settings: Record<string, unknown> = {}): Promise<{ id: number; dir: string }> {
    const name = `executors-${++count}`;
    const created = await hub.call('POST', '/projects', { name, workspace_path: name, settings });
    expect(created.status).toBe(201);
    return { id: created.body.id, dir: path.join(hub.dir, 'workspaces', name) };
  }

  async function task(projectId: number, title = 'Write the file', extra: Record<string, unknown> = {}) {
    return (await hub.call('POST', '/tasks', { project_id: projectId, title, ...extra })).body;
  }

  async function events(runId: number): Promise<any[]> {
    return (await hub.call('GET', `/runs/${runId}/events?limit=500`)).body.map((event: { data: object }) => ({ ...event.data, ...event }));
  }

  it.each(cliAgents)('runs a task with %s: the same run record, events, diff, commit and comment as the built-in agent', async (name) => {
    const { id, dir } = await project();
    const created = await task(id);
    const run = (await hub.call('POST', `/tasks/${created.id}/trigger?wait=true`, { executor: name })).body;
    expect(run).toMatchObject({ status: 'succeeded', executor: name, provider: name, files_changed: [`fake-${name}.txt`], error: null });
    expect(run.summary).toContain(name === 'aider' ? 'written by fake aider' : `Wrote fake-${name}.txt.`);
    expect(run.prompt_tokens).toBeGreaterThan(0);
    expect(run.completion_tokens).toBeGreaterThan(0);
    expect(run.steps).toBeGreaterThan(0);
    // The task as one message: its title is in the prompt recorded.
    expect(run.prompt).toContain('Write the file');

    const told = await events(run.id);
    const types = told.map((event) => event.type);
    expect(types[0]).toBe('run.started');
    expect(told[0]).toMatchObject({ executor: name, provider: name });
    expect(types).toContain('tool.called');
    expect(types).toContain('tool.result');
    expect(types).toContain('llm.response');
    expect(types.at(-1)).toBe('run.finished');
    expect(told.map((event) => event.seq)).toEqual(told.map((_, index) => index + 1));

    // Git saw the change whatever tool made it: committed, with its diff.
    expect(readFileSync(path.join(dir, `fake-${name}.txt`), 'utf8')).toBe(`written by fake ${name}\n`);
    expect(git(dir, 'show', '--name-only', '--format=%an', 'HEAD').split('\n').filter(Boolean)).toEqual(['Hub Bot', `fake-${name}.txt`]);
    const diff = await hub.app.inject({ method: 'GET', url: `/runs/${run.id}/diff` });
    expect(diff.body).toContain(`+written by fake ${name}`);
    const comment = (await hub.call('GET', `/tasks/${created.id}/comments`)).body.at(-1);
    expect(comment.body).toContain(run.summary.split('\n')[0]);
    expect((await hub.call('GET', `/tasks/${created.id}`)).body.status).toBe('review');
  });

  it('starts aider on Ollama with the model, a fixed context window, no commits of its own, and nothing of wfhub’s to see', async () => {
    const { id } = await project();
    const created = await task(id, 'Add a greeting', { description: 'Say hello in greeting.txt.' });
    process.env.WFHUB_FAKE_RECORD = 'invocation.json';
    process.env.WFHUB_FAKE_PROBE = path.join(hub.dir, 'data');
    const run = (await hub.call('POST', `/tasks/${created.id}/trigger?wait=true`, { executor: 'aider' })).body;
    expect(run.status).toBe('succeeded');
    expect(run.model).toBe('ollama_chat/qwen2.5-coder:3b');
    const record = JSON.parse(git(path.join(hub.dir, 'workspaces', `executors-${count}`), 'show', 'HEAD:invocation.json'));
    const argv: string[] = record.argv;
    expect(argv.slice(argv.indexOf('--model'), argv.indexOf('--model') + 2)).toEqual(['--model', 'ollama_chat/qwen2.5-coder:3b']);
    for (const flag of ['--yes-always', '--no-auto-commits', '--no-dirty-commits', '--no-pretty']) expect(argv).toContain(flag);
    expect(record.prompt).toContain('Add a greeting');
    expect(record.prompt).toContain('Say hello in greeting.txt.');
    expect(record.env.OLLAMA_API_BASE).toBe('http://127.0.0.1:9');
    expect(record.model_settings).toContain('name: "ollama_chat/qwen2.5-coder:3b"');
    expect(record.model_settings).toContain('num_ctx: 8192');
    // The sandbox hides wfhub's data (database, secret key) from the tool.
    expect(record.probe).toEqual([{ path: path.join(hub.dir, 'data'), visible: false }]);
  });

  it('takes the executor from the trigger, else the role, else the project', async () => {
    const { id } = await project({ executor: 'codex' });
    const fromProject = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger?wait=true`, {})).body;
    expect(fromProject).toMatchObject({ status: 'succeeded', executor: 'codex', files_changed: ['fake-codex.txt'] });

    const node = await hub.call('POST', '/nodes', { name: `writer-${count}`, directive: 'You write files.', executor: 'gemini' });
    expect(node.status).toBe(201);
    expect(node.body.executor).toBe('gemini');
    const fromNode = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger?wait=true`, { node: node.body.id })).body;
    expect(fromNode).toMatchObject({ status: 'succeeded', executor: 'gemini' });
    expect(fromNode.prompt).toContain('You write files.');

    const fromTrigger = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger?wait=true`, { node: node.body.id, executor: 'claude' })).body;
    expect(fromTrigger).toMatchObject({ status: 'succeeded', executor: 'claude' });

    // A role set back to none, a project without the setting: the built-in agent.
    expect((await hub.call('PATCH', `/nodes/${node.body.id}`, { executor: null })).body.executor).toBeNull();
    expect((await hub.call('PATCH', `/projects/${id}`, { settings: { executor: 'builtin' } })).status).toBe(200);
    const queued = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger`, { node: node.body.id })).body;
    expect(queued.executor).toBe('builtin');
    await hub.ended(queued.id);
  });

  it("fails a run with the tool's own words when it reports a failure", async () => {
    const { id } = await project();
    process.env.WFHUB_FAKE_MODE = 'fail';
    for (const [name, words] of [['claude', 'API Error: 401'], ['codex', '401 Unauthorized'], ['opencode', 'No API key found'], ['gemini', 'Quota exceeded'], ['aider', 'Connection refused']] as const) {
      const run = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger?wait=true`, { executor: name })).body;
      expect(run, name).toMatchObject({ status: 'failed', executor: name, files_changed: [] });
      expect(run.error.code).toBe('executor_failed');
      expect(run.error.message).toContain(words);
    }
  });

  it('fails a run that exits non-zero, telling the exit code and what the tool said on stderr', async () => {
    const { id } = await project();
    process.env.WFHUB_FAKE_MODE = 'exit';
    const run = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger?wait=true`, { executor: 'codex' })).body;
    expect(run.status).toBe('failed');
    expect(run.error).toEqual({ code: 'executor_failed', message: expect.stringMatching(/Codex CLI exited with code 3: .*lost the connection to the model/) });
    expect((await events(run.id)).at(-1).type).toBe('run.failed');

    // Exit code 0 is not enough: a tool that never said it was done did not finish.
    process.env.WFHUB_FAKE_MODE = 'quiet';
    const quiet = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger?wait=true`, { executor: 'gemini' })).body;
    expect(quiet).toMatchObject({ status: 'failed', error: { code: 'executor_failed', message: 'Gemini CLI reported a failure: its output ended without a result' } });
  });

  it('cancelling a run stops the whole process tree of the tool', async () => {
    const { id } = await project();
    const marker = uniqueSeconds();
    process.env.WFHUB_FAKE_MODE = 'hang';
    process.env.WFHUB_FAKE_MARKER = marker;
    const run = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger`, { executor: 'claude' })).body;
    await waitFor(() => liveProcessesWith(marker).length > 0, 20_000);
    expect((await hub.call('POST', `/runs/${run.id}/cancel`)).status).toBe(200);
    const ended = await hub.ended(run.id);
    expect(ended.status).toBe('cancelled');
    await waitFor(() => liveProcessesWith(marker).length === 0, 10_000);
  });

  it('stops a tool that runs past the time limit, its children too', async () => {
    const { id } = await project({ max_run_minutes: 0.05 });
    const marker = uniqueSeconds();
    process.env.WFHUB_FAKE_MODE = 'hang';
    process.env.WFHUB_FAKE_MARKER = marker;
    const run = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger?wait=true`, { executor: 'opencode' })).body;
    expect(run).toMatchObject({ status: 'failed', error: { code: 'time_limit', message: expect.stringContaining('OpenCode did not finish within 3 s') } });
    await waitFor(() => liveProcessesWith(marker).length === 0, 10_000);
  });

  it('fails a run clearly, naming how to install it, when the tool is not on PATH', async () => {
    const { id } = await project();
    process.env.PATH = originalPath;
    const run = (await hub.call('POST', `/tasks/${(await task(id)).id}/trigger?wait=true`, { executor: 'claude' })).body;
    expect(run.status).toBe('failed');
    expect(run.error.code).toBe('executor_not_installed');
    expect(run.error.message).toContain('npm install -g @anthropic-ai/claude-code');
    const comment = (await hub.call('GET', `/tasks/${run.task_id}/comments`)).body.at(-1);
    expect(comment.body).toContain('npm install -g @anthropic-ai/claude-code');
  });

  it('refuses an executor it does not know, and changes nothing', async () => {
    const { id } = await project();
    const created = await task(id);
    const refused = await hub.call('POST', `/tasks/${created.id}/trigger`, { executor: 'cursor' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/executor/);
    expect((await hub.call('GET', `/tasks/${created.id}/runs`)).body).toEqual([]);
    expect((await hub.call('POST', '/nodes', { name: `bad-${count}`, executor: 'cursor' })).status).toBe(400);
    expect((await hub.call('PATCH', `/projects/${id}`, { settings: { executor: 'cursor' } })).status).toBe(400);
  });

  it("POST /api/aider/execute has Aider do the seed's task in a workspace, telling what it changed as git sees it", async () => {
    const done = await hub.call('POST', '/api/aider/execute', { workspace: 'poc', message: 'Create index.html with animated Hello World' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'succeeded', provider: 'aider', model: 'ollama_chat/qwen2.5-coder:3b', files_changed: ['fake-aider.txt'] });
    expect(readFileSync(path.join(hub.dir, 'workspaces', 'poc', 'fake-aider.txt'), 'utf8')).toBe('written by fake aider\n');
    // Aider commits nothing: the change is left for the user to review.
    expect(git(path.join(hub.dir, 'workspaces', 'poc'), 'status', '--porcelain')).toBe('?? fake-aider.txt');

    const streamed = await hub.app.inject({ method: 'POST', url: '/api/agent/run?stream=true', payload: { workspace: 'poc', message: 'Again', executor: 'codex' } });
    const lines = streamed.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ type: 'run.started', executor: 'codex' });
    expect(lines.at(-1)).toMatchObject({ type: 'run.finished', result: { status: 'succeeded', files_changed: ['fake-codex.txt'] } });

    process.env.PATH = originalPath;
    const missing = await hub.call('POST', '/api/aider/execute', { workspace: 'not-made-yet', message: 'Hello' });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'executor_not_installed', message: expect.stringContaining('aider-install') });
    expect(existsSync(path.join(hub.dir, 'workspaces', 'not-made-yet'))).toBe(false);
    expect((await hub.call('POST', '/api/aider/execute', { workspace: 'poc' })).status).toBe(400);
  });

  it('lists the executors installed, with their versions, and how to install the others', async () => {
    const listed = (await hub.call('GET', '/executors')).body.executors;
    expect(listed.map((executor: { name: string }) => executor.name)).toEqual(['builtin', ...cliAgents]);
    expect(listed[0]).toMatchObject({ name: 'builtin', installed: true });
    expect(listed.find((executor: { name: string }) => executor.name === 'codex')).toEqual({ name: 'codex', title: 'Codex CLI', installed: true, version: 'codex-cli 0.46.0', path: path.join(fakes, 'codex'), install: null });

    process.env.PATH = originalPath;
    const without = (await hub.call('GET', '/executors')).body.executors;
    expect(without.find((executor: { name: string }) => executor.name === 'gemini')).toMatchObject({ installed: false, version: null, install: expect.stringContaining('@google/gemini-cli') });
  });
});
