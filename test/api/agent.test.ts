import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

const html = '<!doctype html>\n<h1>Hello World</h1>\n';

describe.each(backends())('the tools API and agent runs on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  const workspaceFile = (name: string) => path.join(hub.dir, 'workspaces', 'poc', name);

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b', firstTokenTimeout: 5, idleTimeout: 5 });
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });
  beforeEach(() => {
    ollama.chatRequests.length = 0;
    ollama.models = [
      { name: 'qwen2.5-coder:3b', capabilities: ['completion', 'tools'], contextLength: 32768 },
      { name: 'qwen3:4b', capabilities: ['completion', 'tools', 'thinking'], contextLength: 40960 },
    ];
  });

  it('asks for a workspace until one is given or configured', async () => {
    const answer = await hub.call('POST', '/api/read', { path: 'a.txt' });
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('workspace_required');
    expect(answer.body.error.message).toContain('/api/config');
  });

  it('answers 404 for a workspace that does not exist, and creates nothing', async () => {
    const answer = await hub.call('POST', '/api/glob', { workspace: 'nowhere', pattern: '*' });
    expect(answer.status).toBe(404);
  });

  it('sets and shows the default workspace and model', async () => {
    const set = await hub.call('POST', '/api/config', { workspace: 'poc', model: 'qwen3:4b' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ workspace: 'poc', model: 'qwen3:4b', provider: 'ollama', model_server: ollama.url, num_ctx: 16384 });
    expect((await hub.call('GET', '/api/config')).body).toMatchObject({ workspace: 'poc', model: 'qwen3:4b' });
    await hub.call('POST', '/api/config', { model: 'qwen2.5-coder:3b' });
  });

  it('refuses a default workspace outside the workspaces folder, and unknown fields', async () => {
    expect(errorCode(await hub.call('POST', '/api/config', { workspace: '../elsewhere' }))).toBe('invalid_workspace_path');
    const unknown = await hub.call('POST', '/api/config', { workspce: 'poc' });
    expect(unknown.status).toBe(400);
    expect((await hub.call('GET', '/api/config')).body.workspace).toBe('poc');
  });

  it('writes, reads, edits, globs and greps in the configured workspace', async () => {
    const written = await hub.call('POST', '/api/write', { path: 'src/app.js', content: 'const greeting = "hi";\nconsole.log(greeting);\n' });
    expect(written.status).toBe(200);
    expect(written.body.files_changed).toEqual(['src/app.js']);

    const read = await hub.call('POST', '/api/read', { path: 'src/app.js' });
    expect(read.body.output).toContain('1: const greeting = "hi";');

    const edited = await hub.call('POST', '/api/edit', { path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' });
    expect(edited.status).toBe(200);
    expect(readFileSync(workspaceFile('src/app.js'), 'utf8')).toContain('"hello"');

    const blocks = 'src/app.js\n```\n<<<<<<< SEARCH\nconsole.log(greeting);\n=======\nconsole.log(greeting, "!");\n>>>>>>> REPLACE\n```\n';
    expect((await hub.call('POST', '/api/edit', { blocks })).status).toBe(200);
    expect(readFileSync(workspaceFile('src/app.js'), 'utf8')).toContain('console.log(greeting, "!");');

    expect((await hub.call('POST', '/api/glob', { pattern: '*.js' })).body.output).toContain('src/app.js');
    const grep = await hub.call('POST', '/api/grep', { pattern: 'greet\\w+', include: '*.js' });
    expect(grep.body.output).toContain('src/app.js');
  });

  it('answers an edit that matches nothing with 422 and the closest lines', async () => {
    writeFileSync(workspaceFile('notes.txt'), 'alpha\nbeta gamma\n');
    const answer = await hub.call('POST', '/api/edit', { path: 'notes.txt', old_string: 'beta gamna', new_string: 'x' });
    expect(answer.status).toBe(422);
    expect(errorCode(answer)).toBe('no_match');
    expect(readFileSync(workspaceFile('notes.txt'), 'utf8')).toBe('alpha\nbeta gamma\n');
  });

  it('refuses every path that leaves the workspace, with 400', async () => {
    for (const [route, body] of [
      ['/api/read', { path: '../../../etc/passwd' }],
      ['/api/read', { path: '/etc/passwd' }],
      ['/api/write', { path: '../outside.txt', content: 'x' }],
      ['/api/edit', { path: '../outside.txt', old_string: '', new_string: 'x' }],
      ['/api/glob', { pattern: '*', path: '..' }],
      ['/api/grep', { pattern: 'root', path: '/etc' }],
    ] as const) {
      const answer = await hub.call('POST', route, body);
      expect(answer.status, `${route} ${JSON.stringify(body)}`).toBe(400);
      expect(errorCode(answer)).toBe('outside_workspace');
    }
  });

  it('runs a command in the workspace and reports its exit code', async () => {
    const answer = await hub.call('POST', '/api/bash', { command: 'pwd; exit 3' });
    expect(answer.status).toBe(200);
    expect(answer.body.output).toContain(path.join('workspaces', 'poc'));
    expect(answer.body.metadata.exitCode).toBe(3);
    expect((await hub.call('POST', '/api/bash', { command: 'true', timeout: 601 })).status).toBe(400);
  });

  it("keeps wfhub's data dir, its secrets and the network out of a command's reach", async () => {
    const dataDir = hub.services.config.dataDir;
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'secret.key'), 'do-not-read');
    process.env.OPENAI_API_KEY = 'sk-must-not-leak';
    try {
      const answer = await hub.call('POST', '/api/bash', {
        command: `cat ${dataDir}/secret.key; env; (exec 3<>/dev/tcp/127.0.0.1/${new URL(ollama.url).port}) && echo CONNECTED; echo made > inside.txt`,
      });
      expect(answer.status).toBe(200);
      expect(answer.body.metadata.sandboxed).toBe(true);
      expect(answer.body.output).not.toContain('do-not-read');
      expect(answer.body.output).not.toContain('sk-must-not-leak');
      expect(answer.body.output).not.toContain('CONNECTED');
      expect(readFileSync(workspaceFile('inside.txt'), 'utf8')).toBe('made\n');
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });

  it("hides the other projects' workspaces, wfhub's .env and the host's sockets from a command", async () => {
    mkdirSync(path.join(hub.dir, 'workspaces', 'other'), { recursive: true });
    writeFileSync(path.join(hub.dir, 'workspaces', 'other', 'creds.txt'), 'other-project-secret');
    const answer = await hub.call('POST', '/api/bash', { command: 'cat ../other/creds.txt; find /run /var/tmp -mindepth 1 | wc -l; ls ..' });
    expect(answer.body.output).not.toContain('other-project-secret');
    expect(answer.body.output).toMatch(/^0$/m);
    expect(answer.body.output).not.toMatch(/^other$/m);
  });

  it('answers a symlink loop or an over-long path with 400, not a server error', async () => {
    const { symlinkSync } = await import('node:fs');
    symlinkSync('loop-b', workspaceFile('loop-a'));
    symlinkSync('loop-a', workspaceFile('loop-b'));
    const loop = await hub.call('POST', '/api/read', { path: 'loop-a' });
    expect(loop.status).toBe(400);
    expect(errorCode(loop)).toBe('invalid_path');
    expect(loop.body.error.message).not.toContain(hub.dir);
    const long = await hub.call('POST', '/api/grep', { pattern: 'x', path: 'a'.repeat(300) });
    expect(long.status).toBe(400);
  });

  it('describes the default workspace when the body is empty', async () => {
    const answer = await hub.app.inject({ method: 'POST', url: '/api/context' });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(JSON.parse(answer.body).workspace).toBe('poc');
  });

  it('describes a workspace: files, languages, recent files and the README', async () => {
    writeFileSync(workspaceFile('README.md'), '# POC\nA proof of concept.\n');
    mkdirSync(workspaceFile('node_modules/x'), { recursive: true });
    writeFileSync(workspaceFile('node_modules/x/index.js'), '');
    const answer = await hub.call('POST', '/api/context', {});
    expect(answer.status).toBe(200);
    expect(answer.body.workspace).toBe('poc');
    expect(answer.body.files).toContain('README.md');
    expect(answer.body.files).not.toContain('node_modules/x/index.js');
    expect(answer.body.languages[0]).toMatchObject({ language: 'JavaScript' });
    expect(answer.body.readme).toMatchObject({ path: 'README.md', excerpt: expect.stringContaining('A proof of concept.') });
  });

  it('runs the agent and answers its result', async () => {
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'index.html', content: html } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'Made it.' } }] });
    const answer = await hub.call('POST', '/api/agent/run', { message: 'Create index.html with an animated Hello World' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'succeeded', summary: 'Made it.', files_changed: ['index.html'], model: 'qwen2.5-coder:3b' });
    expect(readFileSync(workspaceFile('index.html'), 'utf8')).toBe(html);
  });

  it('streams the run as NDJSON events ending with the result', async () => {
    ollama.script({ text: JSON.stringify({ name: 'write', arguments: { path: 'stream.txt', content: 'streamed\n' } }) }, { text: 'Wrote stream.txt.' });
    const answer = await hub.app.inject({ method: 'POST', url: '/api/agent/run?stream=true', payload: { message: 'write stream.txt', workspace: 'poc' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toContain('application/x-ndjson');
    const events = answer.body.trim().split('\n').map((line) => JSON.parse(line) as { type: string; result?: { status: string } });
    expect(events[0]!.type).toBe('run.started');
    expect(events.some((event) => event.type === 'tool.called')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', result: { status: 'succeeded' } });
    expect(readFileSync(workspaceFile('stream.txt'), 'utf8')).toBe('streamed\n');
  });

  it("uses the node's directive and model, and the call's model above both", async () => {
    const nodes = (await hub.call('GET', '/nodes')).body as { id: number; name: string }[];
    const qa = nodes.find((node) => node.name === 'qa')!;
    expect((await hub.call('PATCH', `/nodes/${qa.id}`, { model: 'qwen3:4b' })).body.model).toBe('qwen3:4b');
    ollama.script({ text: 'All criteria pass.' });
    const answer = await hub.call('POST', '/api/agent/run', { message: 'check it', node: 'qa' });
    expect(answer.body).toMatchObject({ status: 'succeeded', model: 'qwen3:4b' });
    const system = (ollama.chatRequests[0]!.messages as { content: string }[])[0]!.content;
    expect(system).toContain('You are the QA engineer');
    ollama.script({ text: 'ok' });
    await hub.call('POST', '/api/agent/run', { message: 'check it', node: qa.id, model: 'qwen2.5-coder:3b' });
    expect(ollama.chatRequests[1]!.model).toBe('qwen2.5-coder:3b');
    await hub.call('PATCH', `/nodes/${qa.id}`, { model: null });
  });

  it("uses the project's model for its workspace", async () => {
    await hub.call('POST', '/projects', { name: 'Modelled', workspace_path: 'modelled', settings: { model: 'qwen3:4b' } });
    ollama.script({ text: 'done' });
    const answer = await hub.call('POST', '/api/agent/run', { message: 'hi', workspace: 'modelled' });
    expect(answer.body.model).toBe('qwen3:4b');
  });

  it('refuses a bad run request before anything starts, even when streaming', async () => {
    const unknownNode = await hub.app.inject({ method: 'POST', url: '/api/agent/run?stream=true', payload: { message: 'x', node: 'wizard' } });
    expect(unknownNode.statusCode).toBe(404);
    expect(JSON.parse(unknownNode.body).error.code).toBe('not_found');
    expect((await hub.call('POST', '/api/agent/run', { message: '' })).status).toBe(400);
    expect((await hub.call('POST', '/api/agent/run', { message: 'x', workspace: '../../x' })).status).toBe(400);
    expect(ollama.chatRequests).toHaveLength(0);
  });

  it('answers a run whose model is missing with a failed result that says to pull it', async () => {
    const answer = await hub.call('POST', '/api/agent/run', { message: 'x', model: 'absent:7b' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'failed', stop: { code: 'llm_model_not_found' } });
    expect(answer.body.stop.message).toContain('ollama pull absent:7b');
  });

  it('lists the models, and answers 502 when the model server is down', async () => {
    expect((await hub.call('GET', '/api/models')).body.map((model: { name: string }) => model.name)).toEqual(['qwen2.5-coder:3b', 'qwen3:4b']);
    ollama.failWith = 500;
    const down = await hub.call('GET', '/api/models');
    ollama.failWith = undefined;
    expect(down.status).toBe(502);
    expect(errorCode(down)).toBe('llm_server_error');
  });

  it('cancels the run when the client disconnects', async () => {
    const address = await hub.app.listen({ port: 0, host: '127.0.0.1' });
    const abandoned = ollama.abandonedChats;
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const controller = new AbortController();
    const response = await fetch(`${address}/api/agent/run?stream=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'wait', workspace: 'poc' }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read();
    while (ollama.chatRequests.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const deadline = Date.now() + 5000;
    while (ollama.abandonedChats === abandoned && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ollama.abandonedChats).toBe(abandoned + 1);
  });

  it('stops a run in progress when the server closes, instead of waiting for it', async () => {
    const closing = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b' });
    try {
      ollama.script({ kind: 'hang', when: 'before-headers' });
      const requests = ollama.chatRequests.length;
      const running = closing.call('POST', '/api/agent/run', { message: 'wait', workspace: 'poc' });
      while (ollama.chatRequests.length === requests) await new Promise((resolve) => setTimeout(resolve, 20));
      const started = Date.now();
      await closing.app.close();
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await running).body).toMatchObject({ status: 'cancelled' });
    } finally {
      await closing.close().catch(() => undefined);
    }
  });
});
