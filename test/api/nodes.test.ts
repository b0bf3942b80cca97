import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

interface Node {
  id: number;
  name: string;
  directive: string;
  model: string | null;
}

describe.each(backends())('nodes API on %s', (kind) => {
  let hub: TestHub;
  let projectId: number;
  let nodeIds: Record<string, number>;
  beforeAll(async () => {
    hub = await createTestHub(kind);
    projectId = (await hub.call('POST', '/projects', { name: 'Nodes', workspace_path: 'nodes' })).body.id;
    const nodes: Node[] = (await hub.call('GET', '/nodes')).body;
    nodeIds = Object.fromEntries(nodes.map((node) => [node.name, node.id]));
  });
  afterAll(() => hub?.close());

  const tasksInProject = async () => (await hub.call('GET', `/projects/${projectId}/tasks?limit=5000`)).headers['x-total-count'];

  it('lists the five seeded roles pm, dev, qa, security and documentation, each with a directive', async () => {
    const listed = await hub.call('GET', '/nodes');
    expect(listed.status).toBe(200);
    const nodes: Node[] = listed.body;
    expect(nodes.map((node) => node.name)).toEqual(['pm', 'dev', 'qa', 'security', 'documentation']);
    for (const node of nodes) {
      expect(typeof node.id).toBe('number');
      expect(node.directive.trim().length, node.name).toBeGreaterThan(20);
      expect(node.model).toBeNull();
    }
    expect(new Set(nodes.map((node) => node.directive)).size).toBe(5);
    expect(nodes.find((node) => node.name === 'qa')!.directive).toMatch(/QA/);
    expect(nodes.find((node) => node.name === 'security')!.directive).toMatch(/security/i);
  });

  it('creates a task for a node named by name and answers its node_name and node_id', async () => {
    const created = await hub.call('POST', '/tasks', { project_id: projectId, title: 'verify the login', node: 'qa' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ node_name: 'qa', node_id: nodeIds.qa });

    const fetched = await hub.call('GET', `/tasks/${created.body.id}`);
    expect(fetched.body).toMatchObject({ node_name: 'qa', node_id: nodeIds.qa });
  });

  it('creates a task for a node named by node_id and answers its node_name', async () => {
    const created = await hub.call('POST', '/tasks', { project_id: projectId, title: 'review the change', node_id: nodeIds.security });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ node_name: 'security', node_id: nodeIds.security });
  });

  it('accepts node and node_id together when they name the same node', async () => {
    const created = await hub.call('POST', '/tasks', { project_id: projectId, title: 'write docs', node: 'documentation', node_id: nodeIds.documentation });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.node_name).toBe('documentation');
  });

  it('creates a task without a node when none is given', async () => {
    const created = await hub.call('POST', '/tasks', { project_id: projectId, title: 'unassigned' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ node_id: null, node_name: null });
  });

  it('answers 404 for an unknown node name or node_id and creates no task', async () => {
    const before = await tasksInProject();
    const byName = await hub.call('POST', '/tasks', { project_id: projectId, title: 'lost', node: 'designer' });
    expect(byName.status).toBe(404);
    expect(errorCode(byName)).toBe('not_found');
    expect(byName.body.error.message).toContain('designer');

    const byId = await hub.call('POST', '/tasks', { project_id: projectId, title: 'lost', node_id: 424242 });
    expect(byId.status).toBe(404);
    expect(errorCode(byId)).toBe('not_found');
    expect(await tasksInProject()).toBe(before);
  });

  it('answers 400 when node and node_id name different nodes, and creates no task', async () => {
    const before = await tasksInProject();
    const answer = await hub.call('POST', '/tasks', { project_id: projectId, title: 'confused', node: 'qa', node_id: nodeIds.dev });
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('conflicting_node');
    expect(answer.body.error.message).toContain('qa');
    expect(await tasksInProject()).toBe(before);
  });

  it('reassigns a task to another node by name and clears it with node_id null', async () => {
    const created = await hub.call('POST', '/tasks', { project_id: projectId, title: 'changes hands', node: 'pm' });
    const reassigned = await hub.call('PATCH', `/tasks/${created.body.id}`, { node: 'dev' });
    expect(reassigned.status).toBe(200);
    expect(reassigned.body).toMatchObject({ node_name: 'dev', node_id: nodeIds.dev });

    const conflicting = await hub.call('PATCH', `/tasks/${created.body.id}`, { node: 'qa', node_id: nodeIds.pm });
    expect(conflicting.status).toBe(400);
    expect(errorCode(conflicting)).toBe('conflicting_node');
    expect((await hub.call('GET', `/tasks/${created.body.id}`)).body.node_name).toBe('dev');

    const cleared = await hub.call('PATCH', `/tasks/${created.body.id}`, { node_id: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ node_name: null, node_id: null });
  });

  it("lists a project's tasks of one node, named by name or id", async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Node filter', workspace_path: 'node-filter' })).body.id;
    await hub.call('POST', '/tasks', { project_id: project, title: 'plan', node: 'pm' });
    await hub.call('POST', '/tasks', { project_id: project, title: 'test it', node: 'qa' });
    await hub.call('POST', '/tasks', { project_id: project, title: 'test more', node: 'qa' });

    for (const reference of ['qa', String(nodeIds.qa)]) {
      const listed = await hub.call('GET', `/projects/${project}/tasks?node=${reference}`);
      expect(listed.status).toBe(200);
      expect(listed.body.map((task: { title: string }) => task.title)).toEqual(['test it', 'test more']);
      expect(listed.headers['x-total-count']).toBe('2');
    }
    expect((await hub.call('GET', `/projects/${project}/tasks?node=designer`)).status).toBe(404);
  });

  it("changes a role's model and directive, and refuses a bad change without changing anything", async () => {
    const changed = await hub.call('PATCH', `/nodes/${nodeIds.documentation}`, { model: 'qwen3:4b', directive: 'Write the docs.' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'documentation', model: 'qwen3:4b', directive: 'Write the docs.' });
    expect((await hub.call('PATCH', `/nodes/${nodeIds.documentation}`, { model: '' })).status).toBe(400);
    expect((await hub.call('PATCH', `/nodes/${nodeIds.documentation}`, { name: 'docs' })).status).toBe(400);
    expect((await hub.call('PATCH', '/nodes/999999', { model: 'x' })).status).toBe(404);
    const listed: Node[] = (await hub.call('GET', '/nodes')).body;
    expect(listed.find((node) => node.name === 'documentation')).toMatchObject({ model: 'qwen3:4b', directive: 'Write the docs.' });
    expect((await hub.call('PATCH', `/nodes/${nodeIds.documentation}`, { model: null })).body.model).toBeNull();
  });
});
