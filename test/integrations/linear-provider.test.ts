import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinearProvider, linearStatus } from '../../src/integrations/linear/linear-provider.js';
import { FakeLinear, type FakeLinearIssue } from '../fakes/fake-linear.js';
import { allPages } from './all-pages.js';

describe('Linear, against a fake Linear running its GraphQL schema', () => {
  const key = 'lin_api_0123456789abcdefghijklmnopqrstuvwxyz';
  let linear: FakeLinear;
  let provider: LinearProvider;
  let team: string;
  let parent: FakeLinearIssue;
  const slept: number[] = [];

  beforeAll(async () => {
    linear = await new FakeLinear(key).start();
    for (let index = 0; index < 55; index++) linear.addTeam(`T${index}`, `Team ${index}`);
    team = linear.addTeam('ENG', 'Engineering');
    for (let index = 1; index <= 250; index++) linear.addIssue(team, `Issue ${index}`, { state: index % 10 === 0 ? 'In Review' : index % 7 === 0 ? 'Done' : 'Todo' });
    parent = linear.issues.find((issue) => issue.teamId === team)!;
    linear.addIssue(team, 'Child', { parentId: parent.id, state: 'In Progress' });
    for (let index = 1; index <= 130; index++) parent.comments.push({ id: `c${index}`, body: `Comment ${index}`, createdAt: '2026-11-30T10:00:00.000Z' });
    parent.attachments.push({ id: 'a1', title: 'Design', url: 'https://figma.com/file/x' });
    provider = new LinearProvider({ token: key, baseUrl: linear.url, http: { sleep: async (ms) => void slept.push(ms) } });
  });
  afterAll(() => linear?.stop());

  it('validates the key, and says a wrong one was refused (Linear answers that with HTTP 400)', async () => {
    expect(await provider.validate()).toEqual({ account: 'Grace Hopper <grace@example.com> (Acme)' });
    const wrong = new LinearProvider({ token: 'lin_api_wrong', baseUrl: linear.url });
    await expect(wrong.validate()).rejects.toMatchObject({ code: 'tracker_unauthorized', message: expect.stringContaining('authenticate') });
  });

  it('lists every team, across pages of 50', async () => {
    const teams = await provider.listProjects();
    expect(teams).toHaveLength(56);
    expect(teams.at(-1)).toEqual({ id: team, name: 'Engineering (ENG)' });
  });

  it('lists 251 issues page by page, each state read by its type', async () => {
    const { tasks: all, pages } = await allPages(provider, team);
    expect(pages).toBe(6);
    expect(all).toHaveLength(251);
    expect(new Set(all.map((issue) => issue.external_id)).size).toBe(251);
    expect(all.find((issue) => issue.title === 'ENG-10 Issue 10')!.status).toBe('review');
    expect(all.find((issue) => issue.title === 'ENG-7 Issue 7')!.status).toBe('done');
    expect(all.find((issue) => issue.title === 'ENG-251 Child')!.status).toBe('in_progress');
    await expect(provider.listTasks('no-such-team')).rejects.toMatchObject({ code: 'tracker_not_found' });
  });

  it('reads an issue whole: markdown, priority, children, attachments and every page of comments', async () => {
    const issue = await provider.getTask(team, parent.id);
    expect(issue).toMatchObject({ title: 'ENG-1 Issue 1', description: '## Issue 1\n\nIn **markdown**.', priority: 'urgent', due_date: '2026-12-24' });
    expect(issue.subtasks).toEqual([expect.objectContaining({ title: 'ENG-251 Child', status: 'in_progress' })]);
    expect(issue.attachments).toEqual([{ name: 'Design', url: 'https://figma.com/file/x' }]);
    expect(issue.comments).toHaveLength(130);
    expect(issue.comments[129]).toMatchObject({ body: 'Comment 130', author: 'Grace' });
    // A missing issue comes back as an error with HTTP 200.
    await expect(provider.getTask(team, 'ENG-9999')).rejects.toMatchObject({ code: 'tracker_not_found', message: expect.stringContaining('Could not find referenced Issue') });
  });

  it("moves an issue to its team's state for each status, by type, and leaves one already there", async () => {
    const issue = linear.issues[60]!;
    await provider.updateStatus(team, issue.id, 'in_progress');
    expect(linear.stateOf(issue).name).toBe('In Progress');
    await provider.updateStatus(team, issue.id, 'review');
    expect(linear.stateOf(issue).name).toBe('In Review');
    await provider.updateStatus(team, issue.id, 'done');
    expect(linear.stateOf(issue).name).toBe('Done');
    const before = linear.calls.length;
    await provider.updateStatus(team, issue.id, 'done');
    expect(linear.calls.length).toBe(before + 1); // read, not moved
    await provider.updateStatus(team, issue.id, 'cancelled');
    expect(linearStatus(linear.stateOf(issue))).toBe('cancelled');
  });

  it('comments, waiting out a rate limit Linear reports in its body', async () => {
    linear.rateLimitNext(4);
    const added = await provider.addComment(team, parent.id, 'Done by wfhub.');
    expect(slept.at(-1)).toBe(4000);
    expect(parent.comments.at(-1)).toMatchObject({ id: added.external_id, body: 'Done by wfhub.' });
  });

  it('reads every page of an issue\'s sub-issues', async () => {
    const big = linear.issues.find((issue) => issue.teamId === team && issue.identifier === 'ENG-2')!;
    for (let index = 1; index <= 120; index++) linear.addIssue(team, `Part ${index}`, { parentId: big.id });
    const issue = await provider.getTask(team, big.id);
    expect(issue.subtasks).toHaveLength(120);
    expect(new Set(issue.subtasks.map((subtask) => subtask.external_id)).size).toBe(120);
  });
});
