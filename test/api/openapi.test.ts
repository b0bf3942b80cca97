import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

describe('API description', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub('pglite');
  });
  afterAll(() => hub?.close());

  it('publishes an OpenAPI document with every route', async () => {
    const answer = await hub.call('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(answer.body.paths);
    for (const path of [
      '/projects',
      '/projects/{id}',
      '/projects/{id}/tasks',
      '/tasks',
      '/tasks/{id}',
      '/tasks/{id}/comments',
      '/comments/{id}',
      '/tasks/{id}/attachments',
      '/attachments/{id}/download',
      '/attachments/{id}',
      '/tasks/{id}/acceptance-criteria',
      '/acceptance-criteria/{id}',
      '/nodes',
      '/health',
      '/health/full',
    ]) {
      expect(paths, path).toContain(path);
    }
    const reference: string = answer.body.paths['/tasks'].post.requestBody.content['application/json'].schema.$ref;
    const createTask = answer.body.components.schemas[reference.split('/').pop()!];
    expect(createTask.required).toEqual(expect.arrayContaining(['project_id', 'title']));
  });

  it('serves interactive docs at /docs', async () => {
    const answer = await hub.app.inject({ method: 'GET', url: '/docs/' });
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain('swagger');
  });

  it('answers an unknown route with the error shape and a pointer to the docs', async () => {
    const answer = await hub.call('GET', '/no/such/route');
    expect(answer.status).toBe(404);
    expect(errorCode(answer)).toBe('route_not_found');
    expect(answer.body.error.message).toContain('/docs');
  });
});
