import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import type { ScriptedReply } from '../fakes/scripted-reply.js';
import { runCli, startServe, type ServerProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const write = (file: string, content: string): ScriptedReply => ({ toolCalls: [{ name: 'write', arguments: { path: file, content } }] });
const finish = (summary: string): ScriptedReply => ({ toolCalls: [{ name: 'finish', arguments: { summary } }] });

describe('wfhub serve with the director, stopped and started again mid-pipeline', () => {
  const { dir, cleanup } = tempDir('wfhub-cli-director-');
  let ollama: FakeOllama;
  let server: ServerProcess | undefined;
  const env = () => ({ OLLAMA_HOST: ollama.url, WFHUB_MODEL: 'qwen2.5-coder:3b', WFHUB_SHUTDOWN_GRACE: '0' });

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
  });
  afterAll(async () => {
    await server?.stop();
    await ollama?.stop();
    cleanup();
  });

  const call = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${server!.url}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const until = async (check: () => Promise<boolean>, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out; the server said:\n${server?.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('picks the pipeline up where it was, without running a finished stage again', async () => {
    server = await startServe({ cwd: dir, env: env() });
    const project = (await call('POST', '/projects', { name: 'Restarted', workspace_path: 'restarted' })).body;
    expect((await call('PUT', `/projects/${project.id}/pipeline`, { nodes: ['dev', 'qa'] })).status).toBe(200);
    ollama.script(write('done.txt', 'yes\n'), finish('Made done.txt.'), { kind: 'hang', when: 'before-headers' });
    const task = (await call('POST', '/tasks', { project_id: project.id, title: 'Survive', autopilot: true, acceptance_criteria: [{ text: 'done.txt exists', check: 'test -f done.txt' }] })).body;
    // Stopped while qa's model is thinking.
    await until(async () => ollama.chatRequests.length === 3);
    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain('director: task');

    ollama.script(finish('All there.\nVERDICT: PASS'));
    server = await startServe({ cwd: dir, env: env() });
    // Followed from the command line until it rests, through the server.
    const followed = await runCli(['task', 'pipeline', String(task.id), '--follow'], { cwd: dir, env: env() });
    expect(followed.code, followed.stderr).toBe(0);
    const lines = followed.stdout.trim().split('\n').filter((line) => /^\S+ (waiting|running|passed|blocked|stopped|overridden):/.test(line));
    expect(lines.at(-1)).toMatch(/ passed: dev ✓ → qa ✓$/);
    expect((await call('GET', `/tasks/${task.id}/pipeline`)).body?.state).toBe('passed');
    const nodes = new Map(((await call('GET', '/nodes')).body as any[]).map((node) => [node.id, node.name]));
    const runs = ((await call('GET', `/tasks/${task.id}/runs`)).body as any[]).reverse();
    expect(runs.map((run) => [nodes.get(run.node_id), run.status])).toEqual([
      ['dev', 'succeeded'],
      ['qa', 'interrupted'],
      ['qa', 'succeeded'],
    ]);
    expect(runs[2]).toMatchObject({ retry_of: runs[1].id, verdict: 'pass' });
    expect(runs[2].gates[0]).toMatchObject({ check: 'test -f done.txt', passed: true });
    expect((await call('GET', `/tasks/${task.id}`)).body.status).toBe('done');
  }, 180_000);
});
