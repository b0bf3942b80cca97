import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, toAnswer, type TestHub } from '../helpers/test-hub.js';
import { callTool, expectClearErrors, expectTheTools, taskFlow, useTool } from './mcp-flow.js';

const token = 'mcp-test-token-1234';

describe.each(backends())('/mcp over streamable HTTP on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let base: string;
  let client: Client;
  const authorization = { authorization: `Bearer ${token}` };

  const connectClient = async (headers: Record<string, string>) => {
    const connected = new Client({ name: 'wfhub-test', version: '1.0.0' });
    await connected.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }));
    return connected;
  };

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    hub = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b', firstTokenTimeout: 10, token });
    await hub.services.scheduler.start();
    base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    await hub.call('POST', '/projects', { name: 'POC', workspace_path: 'poc' }, authorization);
    client = await connectClient(authorization);
  });
  afterAll(async () => {
    await client?.close();
    await hub?.close();
    await ollama?.stop();
  });

  it('lists ten tools with one short line each', async () => {
    await expectTheTools(client);
  });

  it('creates a task with criteria, comments on it, changes its status, triggers it and follows the run', async () => {
    const projects = await useTool(client, 'list_projects');
    expect(projects).toMatchObject({ projects: [{ name: 'POC', workspace_path: 'poc' }], total: 1 });
    await taskFlow(client, { project: 'POC', ollama, workspaceFile: (name) => path.join(hub.dir, 'workspaces', 'poc', name) });
  });

  it('answers a bad id or bad input with an error result saying what is wrong', async () => {
    await expectClearErrors(client);
    const tooLarge = await callTool(client, 'get_task', { id: 2 ** 40 });
    expect(tooLarge.isError).toBe(true);
  });

  it('refuses a request without the token (401), like the rest of the API', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
    };
    const refused = await hub.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      payload: JSON.stringify(initialize),
    });
    expect(refused.statusCode).toBe(401);
    expect(errorCode(toAnswer(refused))).toBe('unauthorized');
    await expect(connectClient({})).rejects.toThrow(/401|unauthorized|token/i);
    await expect(connectClient({ authorization: 'Bearer not-the-token' })).rejects.toThrow();
  });

  it('answers GET and DELETE with 405 in the error shape: the endpoint is stateless', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const answer = await hub.call(method, '/mcp', undefined, authorization);
      expect(answer.status, method).toBe(405);
      expect(errorCode(answer)).toBe('method_not_allowed');
      expect(answer.headers.allow).toBe('POST');
    }
  });

  it('answers a body that is not a JSON-RPC message with 400', async () => {
    const response = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...authorization, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32700);
  });
});
