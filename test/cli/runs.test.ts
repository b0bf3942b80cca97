import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { runCli, startServe, type ServerProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Waits until a run has recorded an event of `type`. */
async function recorded(url: string, runId: number, type: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const events = (await (await fetch(`${url}/runs/${runId}/events`)).json()) as { type: string }[];
    if (events.some((event) => event.type === type)) return;
    if (Date.now() > deadline) throw new Error(`run ${runId} recorded no ${type} event within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("the seed's headline flow against wfhub serve", () => {
  let ollama: FakeOllama;
  let folder: { dir: string; cleanup: () => void };
  let server: ServerProcess;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    folder = tempDir('wfhub-seed-flow-');
    server = await startServe({ cwd: folder.dir, env: { OLLAMA_HOST: ollama.url } });
  });
  afterAll(async () => {
    await server?.stop();
    await ollama.stop();
    folder.cleanup();
  });

  it('creates a project and a task, triggers it, and finds workspaces/poc/hello.txt', async () => {
    // curl -d sends a form content-type and no trigger body: both are fine.
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const project = await fetch(`${server.url}/projects`, { method: 'POST', headers: form, body: '{"name":"POC","workspace_path":"poc"}' });
    const projectId = ((await project.json()) as { id: number }).id;
    const task = await fetch(`${server.url}/tasks`, { method: 'POST', headers: form, body: JSON.stringify({ project_id: projectId, title: 'Create hello.txt' }) });
    const taskId = ((await task.json()) as { id: number }).id;

    ollama.script(
      { text: JSON.stringify({ name: 'write', arguments: { path: 'hello.txt', content: 'Hello from wfhub\n' } }) },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Created hello.txt.' } }] },
    );
    const triggered = await fetch(`${server.url}/tasks/${taskId}/trigger?wait=true`, { method: 'POST' });
    const run = (await triggered.json()) as { status: string; files_changed: string[] };
    expect(triggered.status).toBe(200);
    expect(run).toMatchObject({ status: 'succeeded', files_changed: ['hello.txt'] });
    expect(readFileSync(path.join(folder.dir, 'workspaces', 'poc', 'hello.txt'), 'utf8')).toBe('Hello from wfhub\n');
  });

  it('keeps the events of a run killed mid-way and leaves it interrupted, not running, after a restart', async () => {
    const project = await fetch(`${server.url}/projects`, { method: 'POST', body: JSON.stringify({ name: 'Crash', workspace_path: 'crash' }) });
    const projectId = ((await project.json()) as { id: number }).id;
    const task = await fetch(`${server.url}/tasks`, { method: 'POST', body: JSON.stringify({ project_id: projectId, title: 'Write then hang' }) });
    const taskId = ((await task.json()) as { id: number }).id;
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'first.txt', content: 'one\n' } }] }, { kind: 'hang', when: 'before-headers' });
    const run = (await (await fetch(`${server.url}/tasks/${taskId}/trigger`, { method: 'POST' })).json()) as { id: number };

    // Wait until the first tool call is recorded, then kill the server without warning.
    await recorded(server.url, run.id, 'tool.result');
    // Killed while the model is answering the second step (the hanging reply taken), not before.
    await expect.poll(() => ollama.pendingReplies, { timeout: 10_000 }).toBe(0);
    await server.stop('SIGKILL');
    server = await startServe({ cwd: folder.dir, env: { OLLAMA_HOST: ollama.url } });

    const after = (await (await fetch(`${server.url}/runs/${run.id}`)).json()) as { status: string };
    expect(after.status).toBe('interrupted');
    const events = (await (await fetch(`${server.url}/runs/${run.id}/events`)).json()) as { type: string; data: { name?: string } }[];
    expect(events.map((event) => event.type)).toContain('tool.result');
    expect(events.find((event) => event.type === 'tool.called')?.data.name).toBe('write');
    const taskAfter = (await (await fetch(`${server.url}/tasks/${taskId}`)).json()) as { status: string };
    expect(taskAfter.status).toBe('todo');
    // What it did before it died is known from its events: the file it wrote, its step, its model.
    const recordedRun = (await (await fetch(`${server.url}/runs/${run.id}`)).json()) as { files_changed: string[]; steps: number; model: string };
    expect(recordedRun).toMatchObject({ files_changed: ['first.txt'], steps: 1, model: 'qwen2.5-coder:3b' });
    const comments = (await (await fetch(`${server.url}/tasks/${taskId}/comments`)).json()) as { body: string }[];
    expect(comments.at(-1)!.body).toContain('Files changed: first.txt');
    expect(comments.at(-1)!.body).toContain('qwen2.5-coder:3b · 1 step ·');
    // And its undo takes the file back.
    expect((await fetch(`${server.url}/runs/${run.id}/undo`, { method: 'POST' })).status).toBe(200);
    expect(existsSync(path.join(folder.dir, 'workspaces', 'crash', 'first.txt'))).toBe(false);
  });

  it('tries a run killed before it changed anything again after the restart, and it finishes', async () => {
    const project = await fetch(`${server.url}/projects`, { method: 'POST', body: JSON.stringify({ name: 'Retry', workspace_path: 'retry' }) });
    const projectId = ((await project.json()) as { id: number }).id;
    const task = await fetch(`${server.url}/tasks`, { method: 'POST', body: JSON.stringify({ project_id: projectId, title: 'Look, then hang' }) });
    const taskId = ((await task.json()) as { id: number }).id;
    ollama.script({ toolCalls: [{ name: 'glob', arguments: { pattern: '**/*' } }] }, { kind: 'hang', when: 'before-headers' });
    const run = (await (await fetch(`${server.url}/tasks/${taskId}/trigger`, { method: 'POST' })).json()) as { id: number };
    await recorded(server.url, run.id, 'tool.result');
    // Killed while the model is answering the second step (the hanging reply taken), not before.
    await expect.poll(() => ollama.pendingReplies, { timeout: 10_000 }).toBe(0);
    await server.stop('SIGKILL');
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'retried.txt', content: 'second time\n' } }] }, { text: 'Done on the second try.' });
    server = await startServe({ cwd: folder.dir, env: { OLLAMA_HOST: ollama.url } });

    expect(((await (await fetch(`${server.url}/runs/${run.id}`)).json()) as { status: string }).status).toBe('interrupted');
    const [retry] = (await (await fetch(`${server.url}/tasks/${taskId}/runs`)).json()) as { id: number; retry_of: number }[];
    expect(retry!.retry_of).toBe(run.id);
    const ended = (await (await fetch(`${server.url}/runs/${retry!.id}/stream`)).text()).trim().split('\n\n').at(-1)!;
    expect(ended).toContain('"status":"succeeded"');
    expect(readFileSync(path.join(folder.dir, 'workspaces', 'retry', 'retried.txt'), 'utf8')).toBe('second time\n');
  });

  it('wfhub run triggers a task through the server and follows it with progress', async () => {
    const project = await fetch(`${server.url}/projects`, { method: 'POST', body: JSON.stringify({ name: 'Followed', workspace_path: 'followed' }) });
    const projectId = ((await project.json()) as { id: number }).id;
    const task = await fetch(`${server.url}/tasks`, { method: 'POST', body: JSON.stringify({ project_id: projectId, title: 'Write notes.md' }) });
    const taskId = ((await task.json()) as { id: number }).id;
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'notes.md', content: '# Notes\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote notes.md.' } }] },
    );
    const result = await runCli(['run', String(taskId)], { cwd: folder.dir, env: { OLLAMA_HOST: ollama.url } });
    expect(result.stderr).toContain('→ write notes.md');
    expect(result.stdout).toContain('Done.');
    expect(result.stdout).toContain('Files changed: notes.md');
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(folder.dir, 'workspaces', 'followed', 'notes.md'), 'utf8')).toBe('# Notes\n');
  });
});

describe('wfhub run without a server', () => {
  it('executes the run in the command itself, and exits 1 when it fails', async () => {
    const ollama = await new FakeOllama().start();
    const folder = tempDir('wfhub-run-local-');
    try {
      const env = { OLLAMA_HOST: ollama.url };
      await runCli(['project', 'add', 'Local', '--workspace', 'local'], { cwd: folder.dir, env });
      await runCli(['task', 'add', 'Create a.txt', '--project', 'Local'], { cwd: folder.dir, env });
      ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'a.txt', content: 'a\n' } }] }, { text: 'Created a.txt.' });
      const result = await runCli(['run', '1'], { cwd: folder.dir, env });
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(path.join(folder.dir, 'workspaces', 'local', 'a.txt'), 'utf8')).toBe('a\n');

      const failed = await runCli(['run', '1', '--model', 'absent:1b'], { cwd: folder.dir, env });
      expect(failed.code).toBe(1);
      expect(failed.stdout).toContain('ollama pull absent:1b');
      const bad = await runCli(['run', 'one'], { cwd: folder.dir, env });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/whole number/);
    } finally {
      await ollama.stop();
      folder.cleanup();
    }
  });
});
