import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { runCli, startServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A real 1x1 PNG. */
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe('wfhub chat', () => {
  let ollama: FakeOllama;
  let folder: { dir: string; cleanup: () => void };
  let env: Record<string, string>;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    ollama.models.push({ name: 'gemma3:4b', capabilities: ['completion', 'vision'], contextLength: 8192 });
    folder = tempDir('wfhub-cli-chat-');
    writeFileSync(path.join(folder.dir, 'shot.png'), png);
  });
  afterAll(async () => {
    await ollama.stop();
    folder.cleanup();
  });
  beforeEach(() => {
    env = { OLLAMA_HOST: ollama.url, WFHUB_FIRST_TOKEN_TIMEOUT: '10' };
    ollama.chatRequests.length = 0;
  });

  it('answers on stdout, shows progress on stderr, and goes on with a conversation', async () => {
    expect((await runCli(['project', 'add', 'Talk', '--workspace', 'talk'], { cwd: folder.dir, env })).code).toBe(0);
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'notes.md', content: '# Notes\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'I started notes.md.' } }] },
    );
    const first = await runCli(['chat', 'Start', 'a', 'notes', 'file', '-p', 'Talk'], { cwd: folder.dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('I started notes.md.');
    expect(first.stderr).toContain('conversation 1');
    expect(first.stderr).toContain('→ write notes.md');
    expect(first.stderr).toContain('files changed: notes.md');
    expect(first.stderr).toContain('go on with: wfhub chat -p 1 -c 1');
    expect(readFileSync(path.join(folder.dir, 'workspaces', 'talk', 'notes.md'), 'utf8')).toBe('# Notes\n');

    ollama.chatRequests.length = 0;
    ollama.script({ text: 'A tiny picture.' }, { text: 'You sent a tiny picture; notes.md has a title.' });
    const second = await runCli(['chat', 'What did I send?', '-p', 'Talk', '-c', '1', '-i', 'shot.png'], { cwd: folder.dir, env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('image 1: described by gemma3:4b');
    expect(second.stdout.trim()).toBe('You sent a tiny picture; notes.md has a title.');
    const [vision, working] = ollama.chatRequests as { model: string; messages: { content: string; images?: string[] }[] }[];
    expect(vision!.messages.at(-1)!.images).toEqual([png.toString('base64')]);
    expect(working!.messages[1]!.content).toContain('User: Start a notes file');
    expect(working!.messages[1]!.content).toContain('A tiny picture.');
  });

  it('says what is wrong: a missing image, an unknown conversation, no model server', async () => {
    const missing = await runCli(['chat', 'Look', '-p', 'Talk', '-i', 'nope.png'], { cwd: folder.dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Cannot read the image nope.png: no such file');
    writeFileSync(path.join(folder.dir, 'notes.pdf'), '%PDF-1.7 not a picture');
    const notImage = await runCli(['chat', 'Look', '-p', 'Talk', '-i', 'notes.pdf'], { cwd: folder.dir, env });
    expect(notImage.code).toBe(1);
    expect(notImage.stderr).toContain('notes.pdf is not a PNG, JPEG, WebP or GIF image');
    expect(ollama.chatRequests).toEqual([]);
    const unknown = await runCli(['chat', 'Hi', '-p', 'Talk', '-c', '99'], { cwd: folder.dir, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('conversation 99 does not exist');
    const away = await runCli(['chat', 'Hi', '-p', 'Talk'], { cwd: folder.dir, env: { OLLAMA_HOST: 'http://127.0.0.1:9' } });
    expect(away.code).toBe(1);
    expect(away.stdout + away.stderr).toMatch(/Ollama|model server/i);
  });

  it('works through a running server the same way', async () => {
    const server = await startServe({ cwd: folder.dir, env });
    try {
      ollama.script({ text: 'Through the server.' });
      const result = await runCli(['chat', 'Hello', '-p', 'Talk', '--json'], { cwd: folder.dir, env });
      expect(result.code, result.stderr).toBe(0);
      const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; message?: { content: string } });
      expect(events[0]!.type).toBe('chat.started');
      expect(events.at(-1)).toMatchObject({ type: 'chat.finished', message: { content: 'Through the server.' } });
    } finally {
      await server.stop();
    }
  });
});
