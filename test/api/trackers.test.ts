import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommentAuthor } from '../../src/context/task-prompt.js';
import { FakeAsana } from '../fakes/fake-asana.js';
import { FakeGithub } from '../fakes/fake-github.js';
import { FakeJira } from '../fakes/fake-jira.js';
import { FakeLinear } from '../fakes/fake-linear.js';
import { backends } from '../helpers/database.js';
import { LogOutput } from '../helpers/log-output.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';
import { until } from '../helpers/until.js';

/** 250 tasks on the tracker's first pages, a task with subtasks and comments, a wrong token. */
interface Tracker {
  provider: 'asana' | 'jira' | 'linear' | 'github';
  token: string;
  /** The credential's body, the token and base URL filled in. */
  credential(token: string): Record<string, unknown>;
  projectName: string;
  /** The external id of the task with subtasks (none on GitHub) and two comments. */
  parent: string;
  subtasks: number;
  /** The names of the parent's attachments that have web links (others are left out). */
  attachments: string[];
  /** The tracker's comments on a task, as text. */
  comments(externalId: string): string[];
  retitle(externalId: string, title: string): void;
  rateLimitNext(seconds: number): void;
  stop(): Promise<void>;
}

const trackers: Record<Tracker['provider'], () => Promise<Tracker>> = {
  async github() {
    const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
    const fake = await new FakeGithub(token).addRepo('acme/shop', { issues: 250, pulls: 20 }).start();
    fake.addComments('acme/shop', 1, 2);
    const issues = fake.repos.get('acme/shop')!;
    return {
      provider: 'github',
      token,
      credential: (value) => ({ provider: 'github', token: value, base_url: fake.url }),
      projectName: 'acme/shop',
      parent: '1',
      subtasks: 0,
      attachments: [],
      comments: (id) => (issues.comments.get(Number(id)) ?? []).map((comment) => comment.body),
      retitle: (id, title) => void (issues.issues.find((issue) => issue.number === Number(id))!.title = title),
      rateLimitNext: (seconds) => fake.rateLimitNext(seconds),
      stop: () => fake.stop(),
    };
  },
  async asana() {
    const token = '2/1200000000000001/1200000000000002:0123456789abcdef0123456789abcdef';
    const fake = new FakeAsana(token);
    const project = fake.addProject(fake.addWorkspace('Acme'), 'Shop');
    const ids = Array.from({ length: 250 }, (_, index) => fake.addTask(project, `Task ${index + 1}`));
    for (let index = 1; index <= 3; index++) fake.addTask(project, `Step ${index}`, { parent: ids[0] });
    fake.addComment(ids[0]!, 'First comment');
    fake.addComment(ids[0]!, 'Second comment');
    fake.addAttachment(ids[0]!, 'spec.pdf');
    fake.addAttachment(ids[0]!, 'trap.html');
    fake.attachments.at(-1)!.permanent_url = 'javascript:alert(document.cookie)';
    await fake.start();
    const task = (id: string) => fake.tasks.find((item) => item.gid === id)!;
    return {
      provider: 'asana',
      token,
      credential: (value) => ({ provider: 'asana', token: value, base_url: fake.url }),
      projectName: 'Shop',
      parent: ids[0]!,
      subtasks: 3,
      attachments: ['spec.pdf'],
      comments: (id) => fake.stories.filter((story) => (story.target as { gid: string }).gid === id && story.resource_subtype === 'comment_added').map((story) => String(story.text)),
      retitle: (id, title) => void (task(id).name = title),
      rateLimitNext: (seconds) => fake.rateLimitNext(seconds),
      stop: () => fake.stop(),
    };
  },
  async jira() {
    const token = 'ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz0123456789';
    const fake = new FakeJira('mia@example.com', token);
    fake.addProject('SHOP', 'Shop');
    const issues = Array.from({ length: 250 }, (_, index) => fake.addIssue('SHOP', `Issue ${index + 1}`));
    for (let index = 1; index <= 3; index++) fake.addIssue('SHOP', `Step ${index}`, { parent: issues[0]!.key });
    const paragraph = (text: string) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });
    issues[0]!.attachments.push({ id: '7001', filename: 'trace.log', size: 42, mimeType: 'text/plain' });
    issues[0]!.comments.push({ id: '90001', body: paragraph('First comment'), created: '2026-11-30T10:00:00.000+0000' }, { id: '90002', body: paragraph('Second comment'), created: '2026-11-30T11:00:00.000+0000' });
    await fake.start();
    const texts = (node: unknown): string => {
      const item = node as { text?: string; content?: unknown[] };
      return (item.text ?? '') + (item.content ?? []).map(texts).join('');
    };
    return {
      provider: 'jira',
      token,
      credential: (value) => ({ provider: 'jira', token: value, email: 'mia@example.com', base_url: fake.url }),
      projectName: 'Shop',
      parent: issues[0]!.key,
      subtasks: 3,
      attachments: ['trace.log'],
      comments: (id) => fake.issues.find((issue) => issue.key === id)!.comments.map((comment) => texts(comment.body)),
      retitle: (id, title) => void (fake.issues.find((issue) => issue.key === id)!.summary = title),
      rateLimitNext: (seconds) => fake.rateLimitNext(seconds),
      stop: () => fake.stop(),
    };
  },
  async linear() {
    const token = 'lin_api_0123456789abcdefghijklmnopqrstuvwxyzABCD';
    const fake = new FakeLinear(token);
    const team = fake.addTeam('SHOP', 'Shop');
    const issues = Array.from({ length: 250 }, (_, index) => fake.addIssue(team, `Issue ${index + 1}`));
    for (let index = 1; index <= 3; index++) fake.addIssue(team, `Step ${index}`, { parentId: issues[0]!.id });
    issues[0]!.attachments.push({ id: 'a-1', title: 'Sentry issue', url: 'https://sentry.example.com/issues/1' }, { id: 'a-2', title: 'Trap', url: 'javascript:alert(1)' });
    issues[0]!.comments.push({ id: 'c-1', body: 'First comment', createdAt: '2026-11-30T10:00:00.000Z' }, { id: 'c-2', body: 'Second comment', createdAt: '2026-11-30T11:00:00.000Z' });
    await fake.start();
    const issue = (id: string) => fake.issues.find((item) => item.id === id || item.identifier === id)!;
    return {
      provider: 'linear',
      token,
      credential: (value) => ({ provider: 'linear', token: value, base_url: fake.url }),
      projectName: 'Shop',
      parent: issues[0]!.id,
      subtasks: 3,
      attachments: ['Sentry issue'],
      comments: (id) => issue(id).comments.map((comment) => comment.body),
      retitle: (id, title) => void (issue(id).title = title),
      rateLimitNext: (seconds) => fake.rateLimitNext(seconds),
      stop: () => fake.stop(),
    };
  },
};

const cases = backends().flatMap((kind) => (Object.keys(trackers) as Tracker['provider'][]).map((provider) => [provider, kind] as const));

describe.each(cases)('importing from and syncing back to %s, on %s', (provider, kind) => {
  let hub: TestHub;
  let tracker: Tracker;
  let projectId: number;
  let credentialId: number;
  let mappingId: number;
  const log = new LogOutput();
  /** Every answer the API gave, to look for the token in. */
  const answers: string[] = [];
  const call = async (...args: Parameters<TestHub['call']>) => {
    const answer = await hub.call(...args);
    answers.push(answer.raw.body, JSON.stringify(answer.headers));
    return answer;
  };
  /** The wfhub task imported as `externalId`. */
  const taskOf = async (externalId: string): Promise<number> => {
    const listed = await call('GET', `/integrations/${mappingId}/tasks`);
    return listed.body.find((task: { external_id: string }) => task.external_id === externalId).task_id;
  };

  beforeAll(async () => {
    tracker = await trackers[provider]();
    hub = await createTestHub(kind, { logLevel: 'debug' }, { serverLog: log });
    projectId = (await call('POST', '/projects', { name: 'Imported', workspace_path: 'imported' })).body.id;
  });
  afterAll(async () => {
    await hub?.close();
    await tracker?.stop();
  });

  it('names the four trackers and what each needs', async () => {
    const answer = await call('GET', '/integrations/providers');
    expect(answer.status).toBe(200);
    expect(answer.body.map((info: { id: string }) => info.id).sort()).toEqual(['asana', 'github', 'jira', 'linear']);
    expect(answer.body.find((info: { id: string }) => info.id === 'jira')).toMatchObject({ needs_email: true, base_url: { required: true } });
  });

  it('refuses a wrong token with a clear 422 and keeps nothing', async () => {
    const wrong = `${tracker.token.slice(0, -6)}WRONG1`;
    const answer = await call('POST', '/integrations/credentials', tracker.credential(wrong));
    expect(answer.status).toBe(422);
    expect(errorCode(answer)).toBe('tracker_unauthorized');
    expect(answer.body.error.message).toMatch(/token|credential|auth/i);
    expect(answer.raw.body).not.toContain(wrong);
    expect((await call('GET', '/integrations/credentials')).body).toEqual([]);
  });

  it('keeps a credential the tracker accepts, without ever answering its token', async () => {
    const created = await call('POST', '/integrations/credentials', tracker.credential(tracker.token));
    expect(created.status, created.raw.body).toBe(201);
    expect(created.body).toMatchObject({ provider, account: expect.any(String) });
    expect(created.body).not.toHaveProperty('token');
    credentialId = created.body.id;
    // The same account again renews that credential (200) rather than adding another.
    const renewed = await call('POST', '/integrations/credentials', tracker.credential(tracker.token));
    expect(renewed.status).toBe(200);
    expect(renewed.body.id).toBe(credentialId);
    expect((await call('GET', '/integrations/credentials')).body).toEqual([renewed.body]);
  });

  it("lists the tracker's projects and maps one into a wfhub project", async () => {
    const projects = await call('GET', `/integrations/credentials/${credentialId}/projects`);
    expect(projects.status).toBe(200);
    const external = projects.body.find((item: { name: string }) => item.name.startsWith(tracker.projectName));
    expect(external).toMatchObject({ id: expect.any(String) });
    const mapped = await call('POST', '/integrations/project-mapping', { credential_id: credentialId, external_project_id: external.id, project_id: projectId });
    expect(mapped.status, mapped.raw.body).toBe(200);
    expect(mapped.body).toMatchObject({ credential_id: credentialId, provider, external_project_id: external.id, project_id: projectId, linked_tasks: 0 });
    mappingId = mapped.body.id;
    const unknown = await call('POST', '/integrations/project-mapping', { credential_id: credentialId, external_project_id: 'no-such-project', project_id: projectId });
    expect(unknown.status).toBe(422);
    expect(errorCode(unknown)).toBe('unknown_external_project');
  });

  it('lists all 250 tasks across pages, none imported yet', async () => {
    const listed = await call('GET', `/integrations/${mappingId}/tasks`);
    expect(listed.status).toBe(200);
    const top = listed.body.filter((task: { title: string }) => !/Step \d$/.test(task.title));
    expect(top).toHaveLength(250);
    expect(listed.body.every((task: { imported: boolean; task_id: unknown }) => !task.imported && task.task_id === null)).toBe(true);
  });

  it('imports every task with its subtasks and comments, telling progress as it goes', async () => {
    const answer = await call('POST', '/integrations/import?stream=true', { mapping_id: mappingId });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('application/x-ndjson');
    const events = answer.raw.body.trim().split('\n').map((line) => JSON.parse(line));
    const total = 250 + tracker.subtasks;
    expect(events.at(-1)).toEqual({ type: 'import.finished', result: { created: total, updated: 0, unchanged: 0, failed: [] } });
    const progress = events.filter((event) => event.type === 'import.progress');
    expect(progress).toHaveLength(total);
    expect(progress.at(-1)).toMatchObject({ done: total, total });

    const tasks = await call('GET', `/projects/${projectId}/tasks?limit=500`);
    expect(tasks.body).toHaveLength(total);
    const parentId = await taskOf(tracker.parent);
    const parent = tasks.body.find((task: { id: number }) => task.id === parentId);
    expect(parent.description.length).toBeGreaterThan(0);
    expect(tasks.body.filter((task: { parent_id: number | null }) => task.parent_id === parentId)).toHaveLength(tracker.subtasks);
    const comments = (await call('GET', `/tasks/${parentId}/comments`)).body;
    expect(comments.map((comment: { body: string }) => comment.body)).toEqual(tracker.comments(tracker.parent));
    expect(comments[0].author).toMatch(/\((Asana|Jira Cloud|Linear|GitHub Issues)\)$/);

    const link = await call('GET', `/tasks/${parentId}/tracker`);
    expect(link.body).toMatchObject({ provider, mapping_id: mappingId, external_id: tracker.parent, url: expect.stringMatching(/^https?:\/\//), sync: { state: 'synced' } });
    expect(link.body.attachments.map((file: { name: string }) => file.name)).toEqual(tracker.attachments);
    for (const file of link.body.attachments) expect(file.url).toMatch(/^https?:\/\//);
    expect((await call('GET', `/integrations/mappings?project_id=${projectId}`)).body[0].linked_tasks).toBe(total);
  });

  it('imports again without copying anything, and takes what changed on the tracker', async () => {
    const total = 250 + tracker.subtasks;
    const again = await call('POST', '/integrations/import', { mapping_id: mappingId });
    expect(again.body).toEqual({ created: 0, updated: 0, unchanged: total, failed: [] });
    expect((await call('GET', `/projects/${projectId}/tasks?limit=500`)).body).toHaveLength(total);
    const parentId = await taskOf(tracker.parent);
    expect((await call('GET', `/tasks/${parentId}/comments`)).body).toHaveLength(2);

    tracker.retitle(tracker.parent, 'Renamed on the tracker');
    const one = await call('POST', '/integrations/import', { mapping_id: mappingId, external_ids: [tracker.parent] });
    expect(one.body).toMatchObject({ created: 0, updated: 1 });
    expect((await call('GET', `/tasks/${parentId}`)).body.title).toMatch(/Renamed on the tracker$/);

    // Both sides renamed it: what was edited in wfhub stays.
    expect((await call('PATCH', `/tasks/${parentId}`, { title: 'Renamed in wfhub' })).status).toBe(200);
    tracker.retitle(tracker.parent, 'Renamed on the tracker again');
    await call('POST', '/integrations/import', { mapping_id: mappingId, external_ids: [tracker.parent] });
    expect((await call('GET', `/tasks/${parentId}`)).body.title).toBe('Renamed in wfhub');
  });

  it('pushes a status change and a run summary comment back to the tracker', async () => {
    hub.services.trackerSync.start();
    const parentId = await taskOf(tracker.parent);
    expect((await call('PATCH', `/tasks/${parentId}`, { status: 'done' })).status).toBe(200);
    const listedStatus = async () => (await call('GET', `/integrations/${mappingId}/tasks`)).body.find((task: { external_id: string }) => task.external_id === tracker.parent).status;
    await until(listedStatus, (status) => status === 'done', 'the tracker has the task done');
    await until(async () => (await call('GET', `/tasks/${parentId}/tracker`)).body.sync, (sync) => sync.state === 'synced' && sync.attempts === 0, 'the link says synced');

    // A run's summary, as the run worker writes it, and a person's comment.
    const summary = 'Run 7 finished: wrote hello.py and its test.';
    await hub.services.comments.create(parentId, { author: runCommentAuthor, body: summary });
    expect((await call('POST', `/tasks/${parentId}/comments`, { author: 'ada', body: 'Shipped on Friday.' })).status).toBe(201);
    const pushed = await until(async () => tracker.comments(tracker.parent), (bodies) => bodies.some((body) => body.includes('Shipped on Friday.')), 'the comments reached the tracker');
    expect(pushed.slice(2)).toEqual([expect.stringMatching(/^Run 7 finished: wrote hello\.py and its test\.\s*\(wfhub comment \d+\)$/), expect.stringMatching(/ada.*\(in wfhub\):?\s*Shipped on Friday\.\s*\(wfhub comment \d+\)$/s)]);
    await until(async () => (await call('GET', `/tasks/${parentId}/tracker`)).body.sync.state, (state) => state === 'synced', 'the comment is recorded as pushed');
    // Once, and an import does not bring it back as another comment.
    expect(tracker.comments(tracker.parent).filter((body) => body.includes(summary))).toHaveLength(1);
    await call('POST', '/integrations/import', { mapping_id: mappingId, external_ids: [tracker.parent] });
    expect((await call('GET', `/tasks/${parentId}/comments`)).body).toHaveLength(4);
    // Even with what wfhub knew of the pushed comments lost, their mark links them back instead of copying them in.
    await hub.services.db.execute(sql`delete from tracker_comment_links where pushed`);
    await call('POST', '/integrations/import', { mapping_id: mappingId, external_ids: [tracker.parent] });
    expect((await call('GET', `/tasks/${parentId}/comments`)).body).toHaveLength(4);
    const links: unknown = await hub.services.db.execute(sql`select count(*)::int as n from tracker_comment_links where pushed`);
    expect(JSON.stringify(links)).toContain('"n":2');
  });

  it('keeps the local change when the tracker rate limits, shows the failure, and honours Retry-After', async () => {
    const childId = await taskOf((await call('GET', `/integrations/${mappingId}/tasks`)).body.find((task: { title: string }) => / 2$/.test(task.title)).external_id);
    tracker.rateLimitNext(600);
    const changed = await call('PATCH', `/tasks/${childId}`, { status: 'in_progress' });
    expect(changed.status).toBe(200);
    const failed = await until(async () => (await call('GET', `/tasks/${childId}/tracker`)).body.sync, (sync) => sync.state === 'failed', 'the link says failed');
    expect(failed.error).toMatch(/rate limit/i);
    expect(failed.attempts).toBe(1);
    // Not before the tracker said: ten minutes.
    expect(new Date(failed.next_attempt_at).getTime() - Date.now()).toBeGreaterThan(590_000);
    expect((await call('GET', `/tasks/${childId}`)).body.status).toBe('in_progress');
    expect(log.lines.join('')).toMatch(new RegExp(`pushing task ${childId} to ${provider} failed, will retry`));

    // Retry now, from the task.
    const retried = await call('POST', `/tasks/${childId}/tracker/sync`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ remote_status: 'in_progress', sync: { state: 'synced', error: null, attempts: 0, next_attempt_at: null } });

    // What the tracker reads back (GitHub: an open issue) is wfhub's own push, not a change there.
    const reimported = await call('POST', '/integrations/import', { mapping_id: mappingId, external_ids: [retried.body.external_id] });
    expect(reimported.body).toMatchObject({ updated: 0, unchanged: 1 });
    expect((await call('GET', `/tasks/${childId}`)).body.status).toBe('in_progress');
  });

  it('answers null for a task that was not imported, and a clear 404 for unknown ids', async () => {
    const local = (await call('POST', '/tasks', { project_id: projectId, title: 'made here' })).body.id;
    const notLinked = await call('GET', `/tasks/${local}/tracker`);
    expect(notLinked.status).toBe(200);
    expect(notLinked.body).toBeNull();
    const noSync = await call('POST', `/tasks/${local}/tracker/sync`);
    expect(noSync.status).toBe(404);
    expect(noSync.body.error.message).toContain('was not imported');
    expect((await call('GET', '/tasks/999999/tracker')).status).toBe(404);
    expect((await call('GET', '/integrations/999999/tasks')).status).toBe(404);
    expect((await call('POST', '/integrations/import', { mapping_id: 999999 })).status).toBe(404);
    expect((await call('GET', '/integrations/credentials/999999/projects')).status).toBe(404);
  });

  it('keeps the token unreadable in the database, and out of every answer and log line', async () => {
    const rows: unknown = await hub.services.db.execute(sql`select row_to_json(t)::text as row from tracker_credentials t`);
    const stored = JSON.stringify(rows);
    expect(stored).toContain('sealed_token');
    const secret = [tracker.token, Buffer.from(tracker.token).toString('base64'), Buffer.from(tracker.token).toString('hex')];
    for (const form of secret) expect(stored).not.toContain(form);
    const connection = hub.database.connection;
    if (connection.kind === 'pglite') {
      // The database's files themselves, as the data dir would hold them.
      const files = Buffer.from(await (await (connection.client as PGlite).dumpDataDir('none')).arrayBuffer());
      for (const form of secret) expect(files.includes(form)).toBe(false);
    }
    expect(answers.length).toBeGreaterThan(20);
    for (const answer of answers) expect(answer).not.toContain(tracker.token);
    expect(log.lines.length).toBeGreaterThan(10);
    for (const line of log.lines) expect(line).not.toContain(tracker.token);
    const feed = hub.services.logs.after(0).items;
    expect(feed.length).toBeGreaterThan(10);
    for (const entry of feed) expect(JSON.stringify(entry)).not.toContain(tracker.token);
  });
});

describe.each(backends())('tracker requests refused before any tracker is asked, on %s', (kind) => {
  let hub: TestHub;
  let projectId: number;
  beforeAll(async () => {
    hub = await createTestHub(kind);
    projectId = (await hub.call('POST', '/projects', { name: 'Refusals', workspace_path: 'refusals' })).body.id;
  });
  afterAll(() => hub?.close());

  it.each([
    ['an unknown tracker', { provider: 'trello', token: 'abc' }, 'provider'],
    ['Jira without an email', { provider: 'jira', token: 'abc', base_url: 'https://example.atlassian.net' }, 'email'],
    ['Jira without its site', { provider: 'jira', token: 'abc', email: 'mia@example.com' }, 'base_url'],
    ['an email for GitHub', { provider: 'github', token: 'abc', email: 'mia@example.com' }, 'email'],
    ['a token with a line break', { provider: 'github', token: 'abc\ndef' }, 'token'],
    ['an empty token', { provider: 'linear', token: '' }, 'token'],
    ['a base URL with a password', { provider: 'github', token: 'abc', base_url: 'https://me:pw@github.example.com/api/v3' }, 'base_url'],
    ['a base URL that is not http', { provider: 'asana', token: 'abc', base_url: 'file:///etc/passwd' }, 'base_url'],
    ['an unknown field', { provider: 'asana', token: 'abc', password: 'x' }, 'password'],
  ])('refuses a credential with %s, naming the field', async (_name, body, field) => {
    const answer = await hub.call('POST', '/integrations/credentials', body);
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe('invalid_request');
    expect(answer.body.error.message).toContain(field);
    expect(answer.raw.body).not.toContain('abc\ndef');
    expect((await hub.call('GET', '/integrations/credentials')).body).toEqual([]);
  });

  it('answers an unreachable tracker as a bad gateway, saying which', async () => {
    const answer = await hub.call('POST', '/integrations/credentials', { provider: 'github', token: 'ghp_unreachable', base_url: 'http://127.0.0.1:9/api/v3' });
    expect(answer.status).toBe(502);
    expect(errorCode(answer)).toBe('tracker_unavailable');
    expect(answer.body.error.message).toMatch(/github at http:\/\/127.0.0.1:9/i);
    expect(answer.raw.body).not.toContain('ghp_unreachable');
  }, 60_000);

  it('refuses mappings and imports that name nothing there is', async () => {
    const mapping = await hub.call('POST', '/integrations/project-mapping', { credential_id: 4242, external_project_id: 'x', project_id: projectId });
    expect(mapping.status).toBe(404);
    expect(mapping.body.error.message).toContain('GET /integrations/credentials');
    const empty = await hub.call('POST', '/integrations/import', { mapping_id: 1, external_ids: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('leave it out to import them all');
    const streamed = await hub.call('POST', '/integrations/import?stream=true', { mapping_id: 4242 });
    expect(streamed.status).toBe(404);
    expect((await hub.call('DELETE', '/integrations/project-mapping/4242')).status).toBe(404);
    expect((await hub.call('DELETE', '/integrations/credentials/4242')).status).toBe(404);
  });
});
