/**
 * The tools API and agent runs under bad input: whatever body reaches /api/* or PATCH /nodes/:id,
 * the answer is a success or a 4xx with the one error shape, never a 500, and a refusal leaves the
 * workspace and the roles as they were.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

const routes = ['/api/config', '/api/read', '/api/write', '/api/edit', '/api/glob', '/api/grep', '/api/bash', '/api/context', '/api/agent/run'] as const;

/** Valid bodies, one per route, that a mutation then breaks one field at a time. */
const validBodies: Record<(typeof routes)[number], Record<string, unknown>> = {
  '/api/config': { workspace: 'fixture', model: 'qwen2.5-coder:3b' },
  '/api/read': { workspace: 'fixture', path: 'a.txt', offset: 1, limit: 10 },
  '/api/write': { workspace: 'fixture', path: 'b.txt', content: 'b\n' },
  '/api/edit': { workspace: 'fixture', path: 'a.txt', old_string: 'alpha', new_string: 'alpha' },
  '/api/glob': { workspace: 'fixture', pattern: '*.txt', path: '.' },
  '/api/grep': { workspace: 'fixture', pattern: 'alpha', path: '.', include: '*.txt' },
  '/api/bash': { workspace: 'fixture', command: 'true', timeout: 5 },
  '/api/context': { workspace: 'fixture' },
  '/api/agent/run': { workspace: 'fixture', message: 'hello', model: 'absent:1b', node: 'dev' },
};

const nasty = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1e308, '', ' ', '\0', '..', '../..', '/etc/passwd', '\ud800', 'a\u0000b', '*'.repeat(5000), [], {}, [[[]]]),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
);

function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const full = path.join(folder, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[path.relative(root, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return files;
}

describe.each(backends())('bad input to the tools API on %s', (kind) => {
  let hub: TestHub;
  let ollama: FakeOllama;
  let workspaces: string;

  beforeAll(async () => {
    // A model server without the model: a run that gets through validation fails at once.
    ollama = await new FakeOllama().start();
    ollama.models = [];
    hub = await createTestHub(kind, { ollamaHost: ollama.url });
    workspaces = path.join(hub.dir, 'workspaces');
    expect((await hub.call('POST', '/api/write', { workspace: (await hub.call('POST', '/api/config', { workspace: 'fixture' })).body.workspace, path: 'a.txt', content: 'alpha\n' })).status).toBe(200);
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });

  const state = async () => ({
    files: snapshot(workspaces),
    nodes: (await hub.call('GET', '/nodes')).body,
    config: (await hub.call('GET', '/api/config')).body,
  });

  function expectNoServerError(answer: { status: number; body: any }, description: string) {
    expect(answer.status, description).toBeLessThan(500);
    if (answer.status >= 400) {
      expect(Object.keys(answer.body), description).toEqual(['error']);
      expect(typeof errorCode(answer as never), description).toBe('string');
    }
  }

  it('answers any JSON value as a body with a success or a 4xx, never a 500; a refusal changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes, '/nodes/1'), fc.jsonValue({ maxDepth: 3 }), async (route, body) => {
        const before = await state();
        const method = route === '/nodes/1' ? 'PATCH' : 'POST';
        const answer = await hub.call(method, route, JSON.stringify(body));
        const description = `${method} ${route} ${JSON.stringify(body)?.slice(0, 300)} -> ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`;
        expectNoServerError(answer, description);
        if (answer.status >= 400) expect(await state(), description).toEqual(before);
      }),
      { numRuns: 80 },
    );
  });

  it('answers a valid body with one field replaced by a nasty value with a success or a 4xx, never a 500', async () => {
    const mutation = fc.constantFrom(...routes).chain((route) =>
      fc.record({ route: fc.constant(route), field: fc.constantFrom(...Object.keys(validBodies[route])), value: nasty }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async ({ route, field, value }) => {
        const before = await state();
        const body = { ...validBodies[route], [field]: value };
        const answer = await hub.call('POST', route, body);
        const description = `POST ${route} ${JSON.stringify(body).slice(0, 300)} -> ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`;
        expectNoServerError(answer, description);
        if (answer.status >= 400) expect(await state(), description).toEqual(before);
        await hub.call('POST', '/api/config', { workspace: 'fixture', model: 'qwen2.5-coder:3b' });
      }),
      { numRuns: 120 },
    );
  });
});
