import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/loop/agent-events.js';
import { commandLineAgents } from '../../src/executors/command-line-agents.js';
import { programMounts } from '../../src/executors/program-mounts.js';
import { runCommandLineAgent } from '../../src/executors/run-command-line-agent.js';
import { tempDir } from '../helpers/temp-dir.js';

const fakes = path.resolve('test/fakes/cli');

/** A fake tool installed the way uv installs Aider: a link in ~/.local/bin to its own folder under ~/.local/share. */
function installUnder(home: string, tool: string): string {
  const own = path.join(home, '.local', 'share', 'uv', 'tools', tool, 'bin');
  mkdirSync(own, { recursive: true });
  copyFileSync(path.join(fakes, tool), path.join(own, tool));
  copyFileSync(path.join(fakes, 'fake-cli.mjs'), path.join(own, 'fake-cli.mjs'));
  mkdirSync(path.join(home, '.local', 'bin'), { recursive: true });
  const link = path.join(home, '.local', 'bin', tool);
  symlinkSync(path.join(own, tool), link);
  return link;
}

describe('a command-line agent in the sandbox', () => {
  let home: ReturnType<typeof tempDir>;
  let work: ReturnType<typeof tempDir>;
  const originalHome = process.env.HOME;

  beforeEach(() => {
    home = tempDir('wfhub-home-');
    work = tempDir('wfhub-work-');
    process.env.HOME = home.dir;
  });
  afterEach(() => {
    process.env.HOME = originalHome;
    for (const name of ['WFHUB_FAKE_RECORD', 'WFHUB_FAKE_PROBE']) delete process.env[name];
    home.cleanup();
    work.cleanup();
  });

  it('names the folders a program under home needs: its link, its install folder, its interpreter', () => {
    const link = installUnder(home.dir, 'claude');
    const mounts = programMounts(link, home.dir);
    expect(mounts).toContain(path.join(home.dir, '.local', 'bin'));
    expect(mounts).toContain(path.join(home.dir, '.local', 'share', 'uv'));
    expect(mounts).toContain(path.dirname(process.execPath));
    // Nothing wider than the install folder: not ~/.local/share (keyrings), not home itself.
    expect(mounts).not.toContain(path.join(home.dir, '.local', 'share'));
    expect(mounts).not.toContain(home.dir);
  });

  it('starts a tool installed under a hidden home, shows it its own folder and nothing else of home', async () => {
    const link = installUnder(home.dir, 'claude');
    mkdirSync(path.join(home.dir, '.claude'));
    writeFileSync(path.join(home.dir, '.claude', 'settings.json'), '{}');
    mkdirSync(path.join(home.dir, '.ssh'));
    writeFileSync(path.join(home.dir, '.ssh', 'id_ed25519'), 'secret');
    process.env.WFHUB_FAKE_RECORD = 'record.json';
    process.env.WFHUB_FAKE_PROBE = [path.join(home.dir, '.claude', 'settings.json'), path.join(home.dir, '.ssh', 'id_ed25519')].join(':');
    const events: AgentEvent[] = [];
    const result = await runCommandLineAgent({
      agent: commandLineAgents.claude,
      file: link,
      input: { prompt: 'Write the file.', ollamaHost: 'http://127.0.0.1:9', numCtx: 8192 },
      dir: work.dir,
      workspace: 'work',
      sandbox: { mode: 'bwrap', allowNetwork: false, hiddenPaths: [home.dir], secretVariables: [] },
      timeoutMs: 30_000,
      onEvent: (event) => void events.push(event),
    });
    expect(result, JSON.stringify(result.stop)).toMatchObject({ status: 'succeeded', provider: 'claude', model: 'claude-sonnet-4-5' });
    expect(readFileSync(path.join(work.dir, 'fake-claude.txt'), 'utf8')).toBe('written by fake claude\n');
    const record = JSON.parse(readFileSync(path.join(work.dir, 'record.json'), 'utf8'));
    expect(record.probe).toEqual([
      { path: path.join(home.dir, '.claude', 'settings.json'), visible: true },
      { path: path.join(home.dir, '.ssh', 'id_ed25519'), visible: false },
    ]);
    expect(events.map((event) => event.type)).toEqual(['run.started', 'llm.delta', 'llm.delta', 'tool.called', 'llm.response', 'tool.result', 'llm.delta', 'llm.response', 'run.finished']);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
  });
});
