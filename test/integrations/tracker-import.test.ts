import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGithub } from '../fakes/fake-github.js';
import { backends } from '../helpers/database.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('an import cut short, on %s', (kind) => {
  const token = 'ghp_import0123456789abcdefghijklmnopqrs';
  let github: FakeGithub;
  let hub: TestHub;
  let projectId: number;
  let mappingId: number;

  beforeAll(async () => {
    github = await new FakeGithub(token).addRepo('acme/big', { issues: 40 }).start();
    hub = await createTestHub(kind);
    projectId = (await hub.services.projects.create({ name: 'Big', workspace_path: 'big' })).id;
    const { credential } = await hub.services.credentials.create({ provider: 'github', token, base_url: github.url });
    mappingId = (await hub.services.mappings.create({ credential_id: credential.id, external_project_id: 'acme/big', project_id: projectId })).id;
  });
  afterAll(async () => {
    await hub?.close();
    await github?.stop();
  });

  const taskCount = async () => (await hub.services.tasks.listForProject(projectId, { limit: 500, offset: 0 })).total;

  it('stops between tasks when asked, keeps what it wrote, and the next import brings the rest', async () => {
    const controller = new AbortController();
    const cut = hub.services.trackerImport.run({ mapping_id: mappingId }, (event) => {
      if (event.type === 'import.progress' && event.done === 5) controller.abort(new Error('The client disconnected.'));
    }, controller.signal);
    await expect(cut).rejects.toThrow('The client disconnected.');
    const written = await taskCount();
    // The readers under way finish their task; none starts another.
    expect(written).toBeGreaterThanOrEqual(5);
    expect(written).toBeLessThan(40);

    const rest = await hub.services.trackerImport.run({ mapping_id: mappingId });
    expect(rest).toEqual({ created: 40 - written, updated: 0, unchanged: written, failed: [] });
    expect(await taskCount()).toBe(40);
  });

  it("imports only the mapped project's tasks, whatever ids it is given", async () => {
    const answer = await hub.services.trackerImport.run({ mapping_id: mappingId, external_ids: ['9999', '1'] });
    expect(answer.failed).toEqual([{ external_id: '9999', message: expect.stringContaining('is not a task of acme/big') }]);
    expect(answer.created + answer.unchanged + answer.updated).toBe(1);
  });

  it('renews the credential kept for the same account instead of adding another', async () => {
    const again = await hub.services.credentials.create({ provider: 'github', token, base_url: `${github.url}/`, name: 'Renamed' });
    expect(again.created).toBe(false);
    expect(await hub.services.credentials.list()).toEqual([expect.objectContaining({ id: again.credential.id, name: 'Renamed' })]);
    expect((await hub.services.mappings.get(mappingId)).linked_tasks).toBe(40);
  });
});
