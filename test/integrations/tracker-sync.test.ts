import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialService } from '../../src/integrations/credential.service.js';
import { TrackerError } from '../../src/integrations/tracker-error.js';
import type { TaskStatus } from '../../src/tasks/task-fields.js';
import { TrackerSync } from '../../src/integrations/tracker-sync.js';
import { connectTracker } from '../../src/integrations/trackers.js';
import { FakeGithub } from '../fakes/fake-github.js';
import { backends } from '../helpers/database.js';
import { createTestHub, type TestHub } from '../helpers/test-hub.js';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe.each(backends())('pushing changes back to a tracker, on %s', (kind) => {
  const token = 'ghp_sync0123456789abcdefghijklmnopqrstuv';
  let github: FakeGithub;
  let hub: TestHub;
  /** wfhub task id by issue number. */
  const taskOf = new Map<number, number>();
  const issue = (number: number) => github.repos.get('acme/sync')!.issues.find((item) => item.number === number)!;
  const patchesOf = (number: number) => github.requests.filter((request) => request.method === 'PATCH' && request.path.endsWith(`/issues/${number}`)).length;

  beforeAll(async () => {
    github = await new FakeGithub(token).addRepo('acme/sync', { issues: 6 }).start();
    hub = await createTestHub(kind);
    const project = await hub.services.projects.create({ name: 'Sync', workspace_path: 'sync' });
    const { credential } = await hub.services.credentials.create({ provider: 'github', token, base_url: github.url });
    const mapping = await hub.services.mappings.create({ credential_id: credential.id, external_project_id: 'acme/sync', project_id: project.id });
    await hub.services.trackerImport.run({ mapping_id: mapping.id });
    for (const task of await hub.services.mappings.externalTasks(mapping.id)) taskOf.set(Number(task.external_id), task.task_id!);
  });
  afterAll(async () => {
    await hub?.close();
    await github?.stop();
  });

  /** The hub's credentials, with each status push first asked of `refusal`: an error it answers is thrown instead. */
  const credentialsRefusing = (refusal: (status: TaskStatus) => TrackerError | undefined) =>
    new CredentialService(hub.services.db, {
      dataDir: hub.services.config.dataDir,
      connect: (access) => {
        const tracker = connectTracker(access);
        return Object.assign(Object.create(tracker) as typeof tracker, {
          updateStatus: async (...args: Parameters<typeof tracker.updateStatus>) => {
            const error = refusal(args[2]);
            if (error) throw error;
            return tracker.updateStatus(...args);
          },
        });
      },
    });

  it('pushes, when it starts, what changed while nothing was pushing (a restart loses nothing)', async () => {
    await hub.services.tasks.update(taskOf.get(1)!, { status: 'done' });
    await sleep(300);
    expect(issue(1).state).toBe('open');
    expect((await hub.services.trackerSync.link(taskOf.get(1)!)).sync.state).toBe('pending');

    hub.services.trackerSync.start();
    await until(() => issue(1).state === 'closed', 'the issue closed');
    expect(issue(1).state_reason).toBe('completed');
    await until(async () => (await hub.services.trackerSync.link(taskOf.get(1)!)).sync.state === 'synced', 'the link synced');
    await hub.services.trackerSync.stop();
  });

  it('pushes a change once, however many processes are pushing', async () => {
    const others = [1, 2].map(() => new TrackerSync(hub.services.db, hub.services.feed, hub.services.credentials));
    hub.services.trackerSync.start();
    for (const other of others) other.start();
    try {
      await hub.services.tasks.update(taskOf.get(2)!, { status: 'cancelled' });
      await until(() => issue(2).state === 'closed', 'the issue closed');
      await sleep(500);
      expect(issue(2).state_reason).toBe('not_planned');
      expect(patchesOf(2)).toBe(1);
      // A burst of edits settles as the last one.
      await hub.services.tasks.update(taskOf.get(3)!, { status: 'in_progress' });
      await hub.services.tasks.update(taskOf.get(3)!, { status: 'done' });
      await until(() => issue(3).state === 'closed', 'the issue closed');
      await sleep(500);
      expect(patchesOf(3)).toBe(1);
    } finally {
      await hub.services.trackerSync.stop();
      for (const other of others) await other.stop();
    }
  });

  it('backs off after each failure, and a change undone before it could be pushed costs nothing', async () => {
    let failing = true;
    const credentials = credentialsRefusing(() => (failing ? new TrackerError('tracker_unavailable', 'GitHub answered 502 Bad Gateway', { provider: 'github', status: 502 }) : undefined));
    const sync = new TrackerSync(hub.services.db, hub.services.feed, credentials, { backoffMs: 200, sweepMs: 50 });
    const taskId = taskOf.get(4)!;
    sync.start();
    try {
      await hub.services.tasks.update(taskId, { status: 'done' });
      await until(async () => (await sync.link(taskId)).sync.attempts >= 3, 'three attempts', 15_000);
      const link = await sync.link(taskId);
      expect(link.sync).toMatchObject({ state: 'failed', error: 'GitHub answered 502 Bad Gateway' });
      // The third wait is four times the first.
      expect(link.sync.next_attempt_at!.getTime() - Date.now()).toBeGreaterThan(200 * 2 ** (link.sync.attempts - 1) - 300);
      expect((await hub.services.tasks.get(taskId)).status).toBe('done');
      expect(patchesOf(4)).toBe(0);

      // Back to what the tracker has: nothing to push, and no failure stands.
      await hub.services.tasks.update(taskId, { status: 'todo' });
      failing = false;
      await until(async () => (await sync.link(taskId)).sync.state === 'synced', 'the link synced', 15_000);
      expect((await sync.link(taskId)).sync).toMatchObject({ error: null, attempts: 0 });
      expect(patchesOf(4)).toBe(0);
    } finally {
      await sync.stop();
    }
  });

  it('stops retrying what the tracker refused for good, still pushes the comments, and tries again once the task changes', async () => {
    let refusals = 0;
    const credentials = credentialsRefusing((status) => {
      if (status !== 'review') return undefined;
      refusals++;
      return new TrackerError('tracker_rejected', 'the workflow has no transition to a review status', { provider: 'github' });
    });
    const sync = new TrackerSync(hub.services.db, hub.services.feed, credentials, { backoffMs: 50, sweepMs: 50 });
    const taskId = taskOf.get(5)!;
    sync.start();
    try {
      await hub.services.tasks.update(taskId, { status: 'review' });
      await hub.services.comments.create(taskId, { author: 'ada', body: 'Ready for a look.' });
      await until(() => (github.repos.get('acme/sync')!.comments.get(5) ?? []).some((comment) => comment.body.includes('Ready for a look.')), 'the comment pushed');
      await until(async () => (await sync.link(taskId)).sync.state === 'failed', 'the link failed');
      await sleep(500);
      const link = await sync.link(taskId);
      expect(link.sync).toMatchObject({ state: 'failed', error: 'the workflow has no transition to a review status', next_attempt_at: null });
      // Not tried again by the sweeps meanwhile.
      expect(refusals).toBe(1);

      await hub.services.tasks.update(taskId, { status: 'done' });
      await until(() => issue(5).state === 'closed', 'the issue closed');
      await until(async () => (await sync.link(taskId)).sync.state === 'synced', 'the link synced');
    } finally {
      await sync.stop();
    }
  });
});
