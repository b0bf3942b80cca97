import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { checkExposure } from '../../src/server/start-server.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe('token auth', () => {
  let hub: TestHub;
  const token = 'correct horse battery staple';
  beforeAll(async () => {
    hub = await createTestHub('pglite', { token });
  });
  afterAll(() => hub?.close());

  it('leaves /health open so probes work', async () => {
    expect((await hub.call('GET', '/health')).status).toBe(200);
  });

  it("serves the web UI's files without the token (they hold no data), and nothing else", async () => {
    const page = await hub.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    expect((await hub.app.inject({ method: 'GET', url: script })).statusCode).toBe(200);
    expect((await hub.call('HEAD', '/')).status).toBe(200);
    expect((await hub.call('GET', '/assets/../projects')).status).toBe(401);
    // Only the routes marked public are open: an unknown file needs the token, and is a 404 with it.
    expect((await hub.call('GET', '/assets/missing.js')).status).toBe(401);
    expect((await hub.call('GET', '/assets/missing.js', undefined, { authorization: `Bearer ${token}` })).status).toBe(404);
  });

  it.each([
    ['GET', '/projects'],
    ['POST', '/projects'],
    ['GET', '/health/full'],
    ['GET', '/nodes'],
    ['GET', '/openapi.json'],
    ['DELETE', '/tasks/1'],
  ] as const)('refuses %s %s without the token', async (method, url) => {
    const answer = await hub.call(method, url, method === 'POST' ? { name: 'x' } : undefined);
    expect(answer.status).toBe(401);
    expect(errorCode(answer)).toBe('unauthorized');
    expect(answer.headers['www-authenticate']).toContain('Bearer');
  });

  it('refuses a wrong token and changes nothing', async () => {
    const answer = await hub.call('POST', '/projects', { name: 'sneaky' }, { authorization: 'Bearer wrong-token' });
    expect(answer.status).toBe(401);
    expect(errorCode(answer)).toBe('invalid_token');
    const list = await hub.call('GET', '/projects', undefined, { authorization: `Bearer ${token}` });
    expect(list.body).toEqual([]);
  });

  it('serves every route with the right token', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const created = await hub.call('POST', '/projects', { name: 'Authorised', workspace_path: 'authorised' }, headers);
    expect(created.status).toBe(201);
    expect((await hub.call('GET', '/projects', undefined, headers)).body).toHaveLength(1);
  });
});

describe('exposure', () => {
  const config = (env: Record<string, string>) => loadConfig({ env, dotenv: false });

  it('refuses to listen beyond loopback without a token', () => {
    expect(() => checkExposure(config({ WFHUB_HOST: '0.0.0.0' }))).toThrow(/WFHUB_TOKEN/);
    expect(() => checkExposure(config({ WFHUB_HOST: '192.168.1.10' }))).toThrow(/without a token/);
  });

  it('allows loopback without a token, and any host with one', () => {
    expect(() => checkExposure(config({}))).not.toThrow();
    expect(() => checkExposure(config({ WFHUB_HOST: 'localhost' }))).not.toThrow();
    expect(() => checkExposure(config({ WFHUB_HOST: '::1' }))).not.toThrow();
    expect(() => checkExposure(config({ WFHUB_HOST: '0.0.0.0', WFHUB_TOKEN: 'long-enough-token' }))).not.toThrow();
  });
});
