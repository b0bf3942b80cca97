import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyCapture, type HttpExchange } from '../../src/core/http-exchange.js';
import { LogFeed } from '../../src/logs/log-feed.js';
import { modelCallTable } from '../../src/model-calls/model-call.sql.js';
import { ModelCallService } from '../../src/model-calls/model-call.service.js';
import { backends, openTestDatabase, type TestDatabase } from '../helpers/database.js';

const body = (text: string) => {
  const capture = new BodyCapture();
  capture.add(text);
  return capture.captured();
};

const exchange = (request: string, response: string, startedAt = new Date()): HttpExchange => ({
  method: 'POST',
  url: 'http://127.0.0.1:11434/api/chat',
  status: 200,
  startedAt,
  durationMs: 120,
  request: body(request),
  response: body(response),
});

describe.each(backends())('the model-call log on %s', (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('hides the secrets a body holds, and forgets calls older than the days it keeps', async () => {
    const logs = new LogFeed();
    const secret = 'sk-very-secret-key-0123456789';
    const calls = new ModelCallService(database.db, logs, { secrets: [secret], keepDays: 30 });
    await database.db.insert(modelCallTable).values({ source: 'proxy', method: 'GET', path: '/api/tags', duration_ms: 5, created_at: new Date(Date.now() - 31 * 86_400_000) });
    await database.db.insert(modelCallTable).values({ source: 'proxy', method: 'GET', path: '/api/ps', duration_ms: 5, created_at: new Date(Date.now() - 29 * 86_400_000) });

    await calls.record(exchange(JSON.stringify({ model: 'qwen3:4b', messages: [{ role: 'user', content: `my key is ${secret}` }] }), '{"done":true,"eval_count":3}'), 'proxy');
    const listed = await calls.list({ limit: 10 });
    expect(listed.items.map((call) => call.path)).toEqual(['/api/chat', '/api/ps']);
    const detail = await calls.get(listed.items[0]!.id);
    expect(detail.request_body).not.toContain(secret);
    expect(detail.request_body).toContain('my key is');
    expect(JSON.stringify(logs.after(0).items)).not.toContain(secret);
  });
});
