import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe('POST /api/models/pull', () => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let base: string;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    ollama.pullable = { 'qwen3:4b': 2_497_293_918 };
    hub = await createTestHub('pglite', { ollamaHost: ollama.url });
    base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  const pull = async (model: unknown) => {
    const answer = await fetch(`${base}/api/models/pull`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model }) });
    const text = await answer.text();
    return { status: answer.status, type: answer.headers.get('content-type'), lines: answer.ok ? text.trim().split('\n').map((line) => JSON.parse(line)) : [], body: answer.ok ? undefined : JSON.parse(text) };
  };

  it("streams Ollama's progress, byte counts included, then says it finished, and the model is there", async () => {
    const answer = await pull('qwen3:4b');
    expect(answer.status).toBe(200);
    expect(answer.type).toContain('application/x-ndjson');
    const downloads = answer.lines.filter((line) => line.completed !== undefined);
    expect(downloads.map((line) => line.completed)).toEqual([0, 0.25, 0.5, 0.75, 1].map((part) => Math.round(2_497_293_918 * part)));
    expect(downloads.every((line) => line.type === 'pull.progress' && line.total === 2_497_293_918)).toBe(true);
    expect(answer.lines.at(-2)).toMatchObject({ type: 'pull.progress', status: 'success' });
    expect(answer.lines.at(-1)).toEqual({ type: 'pull.finished', model: 'qwen3:4b' });
    expect((await hub.call('GET', '/api/models')).body.map((model: any) => model.name)).toContain('qwen3:4b');
  });

  it("ends with Ollama's words when the registry has no such model", async () => {
    const answer = await pull('no-such-model:1b');
    expect(answer.status).toBe(200);
    expect(answer.lines.at(-1)).toEqual({ type: 'pull.failed', error: { code: 'pull_failed', message: 'pull model manifest: file does not exist' } });
  });

  it('refuses a name that is not a model name, and answers 502 when Ollama is not there', async () => {
    const bad = await pull('../etc/passwd');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('model name');
    expect((await pull('')).status).toBe(400);
    expect(errorCode(await hub.call('POST', '/api/models/pull', {}))).toBe('invalid_request');

    const gone = await createTestHub('pglite', { ollamaHost: 'http://127.0.0.1:9' });
    try {
      const answer = await gone.call('POST', '/api/models/pull', { model: 'qwen3:4b' });
      expect(answer.status).toBe(502);
      expect(errorCode(answer)).toBe('llm_unreachable');
      expect(answer.body.error.message).toContain('ollama serve');
    } finally {
      await gone.close();
    }
  });

  it('refuses to pull on an OpenAI-compatible server', async () => {
    const openai = await createTestHub('pglite', { llmProvider: 'openai', openaiBaseUrl: 'http://127.0.0.1:9/v1' });
    try {
      const answer = await openai.call('POST', '/api/models/pull', { model: 'qwen3:4b' });
      expect(answer.status).toBe(409);
      expect(errorCode(answer)).toBe('pull_needs_ollama');
    } finally {
      await openai.close();
    }
  });
});
