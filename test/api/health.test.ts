import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('health on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b' });
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  it('answers liveness at /health', async () => {
    const answer = await hub.call('GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('ok');
  });

  it('is ok when the database answers and the model server has the model', async () => {
    ollama.models = [{ name: 'qwen2.5-coder:3b' }, { name: 'qwen3:4b' }];
    const answer = await hub.call('GET', '/health/full');
    expect(answer.status).toBe(200);
    expect(answer.body.overall_status).toBe('ok');
    expect(answer.body.checks.database.status).toBe('ok');
    expect(answer.body.checks.model_server).toMatchObject({ status: 'ok', details: { models: ['qwen2.5-coder:3b', 'qwen3:4b'] } });
    expect(answer.body.checks.disk.status).toBe('ok');
    expect(answer.body.checks.queue).toMatchObject({ status: 'ok', message: '0 queued, 0 running' });
  });

  it('is degraded, and says which command fixes it, when the model is not pulled', async () => {
    ollama.models = [{ name: 'llama3.2:1b' }];
    const answer = await hub.call('GET', '/health/full');
    expect(answer.body.overall_status).toBe('degraded');
    expect(answer.body.checks.model_server.message).toContain('ollama pull qwen2.5-coder:3b');
  });

  it('is degraded when the model server fails', async () => {
    ollama.failWith = 500;
    try {
      const answer = await hub.call('GET', '/health/full');
      expect(answer.body.overall_status).toBe('degraded');
      expect(answer.body.checks.model_server.message).toContain('HTTP 500');
    } finally {
      ollama.failWith = undefined;
    }
  });

  it('is degraded, naming OLLAMA_HOST, when no model server listens', async () => {
    const unreachable = await createTestHub(kind, { ollamaHost: 'http://127.0.0.1:9' });
    try {
      const answer = await unreachable.call('GET', '/health/full');
      expect(answer.status).toBe(200);
      expect(answer.body.overall_status).toBe('degraded');
      expect(answer.body.checks.model_server.message).toContain('OLLAMA_HOST');
    } finally {
      await unreachable.close();
    }
  });

  it('is down with 503 when the database does not answer', async () => {
    const broken = await createTestHub(kind);
    await broken.database.close();
    try {
      const answer = await broken.call('GET', '/health/full');
      expect(answer.status).toBe(503);
      expect(answer.body.overall_status).toBe('down');
      expect(answer.body.checks.database.status).toBe('down');
    } finally {
      await broken.app.close();
    }
  });
});
