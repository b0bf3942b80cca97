import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lockFilePath } from '../../src/db/data-dir-lock.js';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { binPath, cliEnvironment, runCli, startServe, type ServerProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { expectClearErrors, expectTheTools, taskFlow, useTool } from './mcp-flow.js';

/** `wfhub mcp` in `dir`, driven by the SDK's own client; its stderr is kept for failures. */
async function startMcp(dir: string, env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [binPath, 'mcp'],
    cwd: dir,
    env: cliEnvironment(dir, env) as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr!.on('data', (chunk) => (stderr += chunk));
  const client = new Client({ name: 'wfhub-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

describe('wfhub mcp over stdio while wfhub serve holds the embedded database', () => {
  let ollama: FakeOllama;
  let folder: { dir: string; cleanup: () => void };
  let server: ServerProcess;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    folder = tempDir('wfhub-mcp-serve-');
    server = await startServe({ cwd: folder.dir, env: { OLLAMA_HOST: ollama.url } });
    await fetch(`${server.url}/projects`, { method: 'POST', body: JSON.stringify({ name: 'POC', workspace_path: 'poc' }) });
  });
  afterAll(async () => {
    await server?.stop();
    await ollama?.stop();
    folder?.cleanup();
  });

  it("goes through the server's API: the tools, the task flow, clear errors", async () => {
    const mcp = await startMcp(folder.dir, { OLLAMA_HOST: ollama.url });
    try {
      await vi.waitFor(() => expect(mcp.stderr()).toContain(`working on the wfhub server at ${server.url}`));
      await expectTheTools(mcp.client);
      const { task, run } = await taskFlow(mcp.client, {
        project: 1,
        ollama,
        workspaceFile: (name) => path.join(folder.dir, 'workspaces', 'poc', name),
      });
      await expectClearErrors(mcp.client);
      // The server executed the run and sees all of it.
      const recorded = (await (await fetch(`${server.url}/runs/${run.id}`)).json()) as { status: string; task_id: number };
      expect(recorded).toMatchObject({ status: 'succeeded', task_id: task.id });
    } finally {
      await mcp.client.close();
    }
  });
});

describe('wfhub mcp over stdio with no server running', () => {
  let ollama: FakeOllama;
  let folder: { dir: string; cleanup: () => void };
  let env: Record<string, string>;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    folder = tempDir('wfhub-mcp-local-');
    env = { OLLAMA_HOST: ollama.url };
    expect((await runCli(['project', 'add', 'Local', '--workspace', 'local'], { cwd: folder.dir, env })).code).toBe(0);
  });
  afterAll(async () => {
    await ollama?.stop();
    folder?.cleanup();
  });

  it('opens the database itself, executes the runs it triggers, and releases the data dir when closed', async () => {
    const mcp = await startMcp(folder.dir, env);
    try {
      await vi.waitFor(() => expect(mcp.stderr()).toContain('working on the embedded database'));
      await expectTheTools(mcp.client);
      expect(await useTool(mcp.client, 'list_projects')).toMatchObject({ projects: [{ id: 1, name: 'Local' }], total: 1 });
      await taskFlow(mcp.client, { project: 'Local', ollama, workspaceFile: (name) => path.join(folder.dir, 'workspaces', 'local', name) });
      await expectClearErrors(mcp.client);
    } finally {
      await mcp.client.close();
    }
    expect(existsSync(lockFilePath(path.join(folder.dir, '.wfhub')))).toBe(false);
    const shown = await runCli(['task', 'show', '1', '--json'], { cwd: folder.dir, env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'review', comments: [{ author: 'mcp' }, { author: 'reviewer' }, { author: 'wfhub' }] });
  });

  it('waits for a run it executes when stdin ends, and interrupts it on SIGTERM', async () => {
    const mcp = await startMcp(folder.dir, env);
    let runId: number;
    try {
      const task = await useTool(mcp.client, 'create_task', { project: 'Local', title: 'Hang' });
      ollama.script({ kind: 'hang', when: 'before-headers' });
      runId = (await useTool(mcp.client, 'trigger_task', { id: task.id })).id;
      await vi.waitFor(async () => expect((await useTool(mcp.client, 'get_run', { id: runId })).status).toBe('running'), { timeout: 20_000 });
    } finally {
      // Ends stdin; the SDK's client sends SIGTERM when the process is still there 2 s later.
      await mcp.client.close();
    }
    expect(mcp.stderr()).not.toMatch(/error/i);
    const after = await startMcp(folder.dir, env);
    try {
      const run = await useTool(after.client, 'get_run', { id: runId, events: 1 });
      expect(run).toMatchObject({ status: 'interrupted', error: { code: 'interrupted' } });
    } finally {
      await after.client.close();
    }
  });

  it('writes nothing but MCP to stdout, answers the calls in flight when stdin ends, and exits 0', async () => {
    const child = spawn(process.execPath, [binPath, 'mcp'], { cwd: folder.dir, env: cliEnvironment(folder.dir, env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const messages = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'list_tasks', arguments: { project: 'Local' } } },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_task', arguments: { id: 'one' } } },
    ];
    child.stdin.end(messages.map((message) => `${JSON.stringify(message)}\n`).join(''));
    expect(await exited, stderr).toBe(0);
    // Every line is a JSON-RPC answer; the calls run side by side, so in any order.
    const answers = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { jsonrpc: string; id: number; result: any })
      .sort((a, b) => a.id - b.id);
    expect(answers.map((answer) => [answer.jsonrpc, answer.id])).toEqual([['2.0', 1], ['2.0', 2], ['2.0', 3]]);
    expect(answers[1]!.result.structuredContent.tasks).toContainEqual(expect.objectContaining({ id: 1, title: 'Create hello.txt' }));
    expect(answers[2]!.result.isError).toBe(true);
    expect(stderr).toContain('wfhub mcp');
    expect(existsSync(lockFilePath(path.join(folder.dir, '.wfhub')))).toBe(false);
  });
});
