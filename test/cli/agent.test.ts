import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { binPath, cliEnvironment, runCli, startServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const html = '<!doctype html>\n<h1 class="hello">Hello World</h1>\n';
const message = 'Create index.html with an animated Hello World';

describe('wfhub agent', () => {
  let ollama: FakeOllama;
  let folder: { dir: string; cleanup: () => void };
  let env: Record<string, string>;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    folder = tempDir('wfhub-cli-agent-');
  });
  afterAll(async () => {
    await ollama.stop();
    folder.cleanup();
  });
  beforeEach(() => {
    env = { OLLAMA_HOST: ollama.url, WFHUB_FIRST_TOKEN_TIMEOUT: '10' };
    ollama.chatRequests.length = 0;
  });

  it('creates a file in the workspace, shows its progress and the result', async () => {
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'index.html', content: html } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'Created index.html.' } }] });
    const result = await runCli(['agent', message, '--workspace', './workspaces/poc'], { cwd: folder.dir, env });
    expect(result.stderr).toContain('→ write index.html');
    expect(result.stderr).toContain('qwen2.5-coder:3b');
    expect(result.stdout).toContain('Done.');
    expect(result.stdout).toContain('Created index.html.');
    expect(result.stdout).toContain('Files changed: index.html');
    expect(result.code).toBe(0);
    expect(readFileSync(path.join(folder.dir, 'workspaces', 'poc', 'index.html'), 'utf8')).toBe(html);
  });

  it('exits non-zero with the reason when the run fails', async () => {
    const result = await runCli(['agent', 'anything', '-w', 'poc', '--model', 'missing:7b'], { cwd: folder.dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Failed:');
    expect(result.stdout).toContain('ollama pull missing:7b');
  });

  it('prints every event as a JSON line with --json', async () => {
    ollama.script({ text: 'Nothing to do: the file exists.' });
    const result = await runCli(['agent', 'check index.html', '-w', 'poc', '--json'], { cwd: folder.dir, env });
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(events[0]!.type).toBe('run.started');
    expect(events.at(-1)!.type).toBe('run.finished');
  });

  it('refuses a workspace outside the workspaces folder', async () => {
    const result = await runCli(['agent', 'x', '--workspace', '/tmp'], { cwd: folder.dir, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not inside the workspaces folder');
  });

  /** Starts a run on a model that never answers, interrupts it once it is waiting, and returns how it ended. */
  async function interrupted(): Promise<{ code: number | null; stdout: string; stderr: string }> {
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const child = spawn(process.execPath, [binPath, 'agent', 'wait forever', '-w', 'poc'], {
      cwd: folder.dir,
      env: cliEnvironment(folder.dir, env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes('step 1') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  }

  it('stops on Ctrl-C and exits 130', async () => {
    const { code, stdout } = await interrupted();
    expect(code).toBe(130);
    expect(stdout).toContain('Cancelled.');
  });

  it('asks for a workspace', async () => {
    const result = await runCli(['agent', 'do something'], { cwd: folder.dir, env });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--workspace');
  });

  it('goes through a running server, which holds the database', async () => {
    const server = await startServe({ cwd: folder.dir, env });
    try {
      ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'served.txt', content: 'via the server\n' } }] }, { text: 'Wrote served.txt.' });
      const result = await runCli(['agent', 'write served.txt', '-w', 'poc'], { cwd: folder.dir, env });
      expect(result.stderr).toContain('→ write served.txt');
      expect(result.code).toBe(0);
      expect(readFileSync(path.join(folder.dir, 'workspaces', 'poc', 'served.txt'), 'utf8')).toBe('via the server\n');
      expect(result.stderr).toContain('running on the wfhub server at');

      // Ctrl-C through the server ends the same way as without one.
      const stopped = await interrupted();
      expect(stopped.code).toBe(130);
      expect(stopped.stdout).toContain('Cancelled.');
    } finally {
      await server.stop();
    }
  });
});
