import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { runCli } from '../helpers/cli.js';
import { backends } from '../helpers/database.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('wfhub doctor', () => {
  const { dir, cleanup } = tempDir('wfhub-cli-doctor-');
  let ollama: FakeOllama;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
  });
  afterAll(async () => {
    await ollama?.stop();
    cleanup();
  });

  it('says everything is ready when it is, with the model and its window', async () => {
    ollama.models = [
      { name: 'qwen2.5-coder:3b', capabilities: ['completion', 'tools'], contextLength: 32768 },
      { name: 'gemma3:4b', capabilities: ['completion', 'vision'], contextLength: 8192 },
    ];
    const result = await runCli(['doctor'], { cwd: dir, env: { OLLAMA_HOST: ollama.url, WFHUB_MODEL: 'qwen2.5-coder:3b' } });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    for (const line of ['✓ node: Node.js', '✓ git: git version', '✓ ripgrep: ripgrep', '✓ sandbox: bubblewrap isolates commands', '✓ model server:', '✓ model: qwen2.5-coder:3b, a 32768-token window', '✓ database: the embedded database will be created in', '✓ disk (data):']) {
      expect(result.stdout).toContain(line);
    }
    expect(result.stdout.trim().split('\n').at(-1)).toBe('Ready.');
  }, 120_000);

  it('names each missing piece and what to do, and exits 1', async () => {
    ollama.models = [{ name: 'llama3.2:1b', capabilities: ['completion'], contextLength: 4096 }];
    // No git and no bubblewrap on this PATH; the model server has neither model.
    const empty = path.join(dir, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const result = await runCli(['doctor'], { cwd: dir, env: { PATH: empty, OLLAMA_HOST: ollama.url, WFHUB_MODEL: 'qwen2.5-coder:3b' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ git: git is not installed');
    expect(result.stdout).toContain('→ install git (Debian/Ubuntu: apt-get install git)');
    expect(result.stdout).toContain('! sandbox:');
    expect(result.stdout).toContain('→ install bubblewrap');
    expect(result.stdout).toContain('✗ model: qwen2.5-coder:3b (WFHUB_MODEL) is not on the model server');
    expect(result.stdout).toContain('→ ollama pull qwen2.5-coder:3b');
    expect(result.stdout).toContain('! vision model: gemma3:4b');
    expect(result.stdout.trim()).toMatch(/2 problems to fix, 2 warnings\.$/);

    const unreachable = await runCli(['doctor', '--json'], { cwd: dir, env: { OLLAMA_HOST: 'http://127.0.0.1:9', WFHUB_SANDBOX: 'bwrap' } });
    expect(unreachable.code).toBe(1);
    const findings = JSON.parse(unreachable.stdout) as { check: string; status: string; fix?: string }[];
    expect(findings.find((finding) => finding.check === 'model server')).toMatchObject({ status: 'fail', fix: 'start Ollama (ollama serve), or set OLLAMA_HOST' });
    expect(findings.find((finding) => finding.check === 'git')).toMatchObject({ status: 'ok' });
  }, 120_000);

  it('warns when the model has a smaller window than wfhub asks for', async () => {
    ollama.models = [
      { name: 'qwen2.5-coder:3b', capabilities: ['completion', 'tools'], contextLength: 8192 },
      { name: 'gemma3:4b', capabilities: ['completion', 'vision'] },
    ];
    const result = await runCli(['doctor'], { cwd: dir, env: { OLLAMA_HOST: ollama.url, WFHUB_NUM_CTX: '16384' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('! model: qwen2.5-coder:3b has a 8192-token window, smaller than WFHUB_NUM_CTX=16384');
    expect(result.stdout).toContain('→ set WFHUB_NUM_CTX=8192');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('Ready, with 1 warning.');
  }, 120_000);

  it('checks PostgreSQL when DATABASE_URL names it, with the password kept out of the answer', async () => {
    const env = { OLLAMA_HOST: ollama.url };
    const away = await runCli(['doctor', '--json'], { cwd: dir, env: { ...env, DATABASE_URL: 'postgres://wfhub:hunter2-secret@127.0.0.1:9/wfhub' } });
    const down = (JSON.parse(away.stdout) as { check: string; status: string; message: string }[]).find((finding) => finding.check === 'database');
    expect(down).toMatchObject({ status: 'fail' });
    expect(down!.message).toContain('cannot reach PostgreSQL at');
    expect(away.stdout).not.toContain('hunter2-secret');
    if (!backends().includes('postgres')) return;
    const up = await runCli(['doctor', '--json'], { cwd: dir, env: { ...env, DATABASE_URL: process.env.TEST_DATABASE_URL! } });
    const found = (JSON.parse(up.stdout) as { check: string; status: string; message: string }[]).find((finding) => finding.check === 'database');
    expect(found).toMatchObject({ status: 'ok' });
    expect(found!.message).toMatch(/PostgreSQL at .* answers \(PostgreSQL \d+/);
  }, 120_000);
});
