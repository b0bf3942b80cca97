import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const fakes = path.resolve('test/fakes/cli');

describe('wfhub executors and wfhub run --executor', () => {
  let folder: { dir: string; cleanup: () => void };
  const withFakes = { PATH: `${fakes}:${process.env.PATH}` };

  beforeAll(() => {
    folder = tempDir('wfhub-cli-executors-');
  });
  afterAll(() => folder.cleanup());

  it('lists the executors on this machine with their versions, and how to install the missing ones', async () => {
    const listed = await runCli(['executors'], { cwd: folder.dir, env: withFakes });
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TOOL\s+VERSION\s+PATH/);
    expect(lines.find((line) => line.startsWith('claude'))).toMatch(/Claude Code\s+2\.0\.14 \(Claude Code\)\s+.*test\/fakes\/cli\/claude/);
    expect(lines.find((line) => line.startsWith('builtin'))).toMatch(/wfhub agent/);

    const json = JSON.parse((await runCli(['executors', '--json'], { cwd: folder.dir, env: withFakes })).stdout);
    expect(json.map((executor: { name: string; installed: boolean }) => [executor.name, executor.installed])).toEqual([
      ['builtin', true],
      ['aider', true],
      ['claude', true],
      ['codex', true],
      ['opencode', true],
      ['gemini', true],
    ]);

    const bare = await runCli(['executors'], { cwd: folder.dir, env: { PATH: '/usr/bin:/bin' } });
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^codex\s+Codex CLI\s+not installed/m);
    expect(bare.stdout).toContain('codex: install with npm install -g @openai/codex');
  });

  it('runs a task with the executor asked for, showing which one works, and refuses one it does not know', async () => {
    const env = { ...withFakes, OLLAMA_HOST: 'http://127.0.0.1:9' };
    expect((await runCli(['project', 'add', 'Cli', '--workspace', 'cli'], { cwd: folder.dir, env })).code).toBe(0);
    expect((await runCli(['task', 'add', 'Write the file', '--project', 'Cli'], { cwd: folder.dir, env })).code).toBe(0);
    const result = await runCli(['run', '1', '--executor', 'opencode'], { cwd: folder.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('opencode · model OpenCode default');
    expect(result.stdout).toContain('Done.');
    expect(result.stdout).toContain('Wrote fake-opencode.txt.');
    expect(result.stdout).toContain('Files changed: fake-opencode.txt');
    expect(readFileSync(path.join(folder.dir, 'workspaces', 'cli', 'fake-opencode.txt'), 'utf8')).toBe('written by fake opencode\n');

    const bad = await runCli(['run', '1', '--executor', 'cursor'], { cwd: folder.dir, env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('use one of builtin, aider, claude, codex, opencode, gemini');
  });
});
