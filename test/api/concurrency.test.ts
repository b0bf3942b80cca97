import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { uploadParts } from '../helpers/multipart.js';
import { createTestHub, errorCode, type Answer, type TestHub } from '../helpers/test-hub.js';

describe.each(backends())('requests racing a delete on %s', (kind) => {
  let hub: TestHub;
  let projectId: number;
  beforeAll(async () => {
    hub = await createTestHub(kind);
    projectId = (await hub.call('POST', '/projects', { name: 'Race', workspace_path: 'race' })).body.id;
  });
  afterAll(() => hub?.close());

  const storedFiles = () => {
    try {
      return readdirSync(path.join(hub.services.config.dataDir, 'attachments')).sort();
    } catch {
      return [];
    }
  };

  it('never answer 500 and leave no file without a row', async () => {
    const answers: Answer[] = [];
    for (let round = 0; round < 25; round++) {
      const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: `round ${round}` })).body;
      const results = await Promise.all([
        hub.call('POST', `/tasks/${task.id}/comments`, { body: 'racing' }),
        hub.call('POST', `/tasks/${task.id}/acceptance-criteria`, { text: 'racing' }),
        hub.call('POST', '/tasks', { project_id: projectId, parent_id: task.id, title: 'racing child' }),
        uploadParts(hub, task.id, [{ field: 'file', fileName: 'race.txt', content: 'racing', contentType: 'text/plain' }]),
        hub.call('DELETE', `/tasks/${task.id}`),
      ]);
      answers.push(...results);
    }
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
      if (answer.status >= 400) expect(errorCode(answer)).toBe('not_found');
    }
    // Every task was deleted, so every attachment and its file went with it.
    expect((await hub.call('GET', `/projects/${projectId}/tasks?limit=5000`)).body).toEqual([]);
    expect(storedFiles()).toEqual([]);
  });

  it('deleting a project while uploads run leaves no file behind', async () => {
    const project = (await hub.call('POST', '/projects', { name: 'Doomed race', workspace_path: 'doomed-race' })).body;
    const tasks = [];
    for (let index = 0; index < 5; index++) {
      tasks.push((await hub.call('POST', '/tasks', { project_id: project.id, title: `t${index}` })).body);
    }
    const results = await Promise.all([
      ...tasks.map((task) => uploadParts(hub, task.id, [{ field: 'file', fileName: 'a.txt', content: 'a', contentType: 'text/plain' }])),
      hub.call('DELETE', `/projects/${project.id}`),
    ]);
    for (const answer of results) expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
    expect(storedFiles()).toEqual([]);
  });
});
