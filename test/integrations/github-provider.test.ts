import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GithubProvider, githubStatus, nextLink } from '../../src/integrations/github/github-provider.js';
import { TrackerError } from '../../src/integrations/tracker-error.js';
import { FakeGithub } from '../fakes/fake-github.js';
import { allPages } from './all-pages.js';

describe('GitHub Issues, against a fake GitHub', () => {
  const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz';
  let github: FakeGithub;
  let provider: GithubProvider;
  const slept: number[] = [];

  beforeAll(async () => {
    github = await new FakeGithub(token).addRepo('acme/shop', { issues: 250, pulls: 20 }).addRepo('acme/empty').start();
    github.addComments('acme/shop', 7, 130);
    provider = new GithubProvider({ token, baseUrl: github.url, http: { sleep: async (ms) => void slept.push(ms) } });
  });
  afterAll(() => github?.stop());

  it('validates the token, and names a wrong one as refused', async () => {
    expect(await provider.validate()).toEqual({ account: 'octocat' });
    const wrong = new GithubProvider({ token: 'ghp_wrong', baseUrl: github.url });
    const error = (await wrong.validate().catch((caught: unknown) => caught)) as TrackerError;
    expect(error).toBeInstanceOf(TrackerError);
    expect(error.code).toBe('tracker_unauthorized');
    expect(error.message).toContain('Bad credentials');
    expect(error.message).not.toContain('ghp_wrong');
  });

  it('lists the repositories as owner/name', async () => {
    expect(await provider.listProjects()).toEqual([
      { id: 'acme/empty', name: 'acme/empty', url: 'https://github.com/acme/empty' },
      { id: 'acme/shop', name: 'acme/shop', url: 'https://github.com/acme/shop' },
    ]);
  });

  it('lists 250 issues across pages, leaving out the pull requests mixed into them', async () => {
    const { tasks: all, pages } = await allPages(provider, 'acme/shop');
    expect(pages).toBe(3);
    expect(all).toHaveLength(250);
    expect(new Set(all.map((task) => task.external_id)).size).toBe(250);
    expect(all.every((task) => task.title.startsWith('Issue '))).toBe(true);
    expect(all[0]).toMatchObject({ status: 'todo', url: expect.stringMatching(/^https:\/\/github\.com\/acme\/shop\/issues\/\d+$/) });
    expect(await provider.listTasks('acme/empty')).toEqual({ items: [] });
  });

  it('reads an issue with its labels and every page of its comments', async () => {
    const task = await provider.getTask('acme/shop', '7');
    expect(task).toMatchObject({ external_id: '7', title: 'Issue 7', status: 'todo', description: 'Body of Issue 7\n\n- [ ] a step', labels: [], subtasks: [], attachments: [] });
    expect(task.comments).toHaveLength(130);
    expect(task.comments[129]).toMatchObject({ author: 'hubot', body: 'Comment 130' });
    // A null body is an empty description; labels come by name.
    expect(await provider.getTask('acme/shop', '6')).toMatchObject({ labels: ['bug'] });
    const pull = github.repos.get('acme/shop')!.issues.find((issue) => issue.pull_request)!;
    await expect(provider.getTask('acme/shop', String(pull.number))).rejects.toMatchObject({ code: 'tracker_not_found' });
    await expect(provider.getTask('acme/missing', '1')).rejects.toMatchObject({ code: 'tracker_not_found' });
    await expect(provider.getTask('not a repo', '1')).rejects.toThrow(/owner\/name/);
  });

  it('closes an issue as completed or not planned, reopens it, and sends nothing when it is already so', async () => {
    const issue = () => github.repos.get('acme/shop')!.issues.find((item) => item.number === 3)!;
    await provider.updateStatus('acme/shop', '3', 'done');
    expect(issue()).toMatchObject({ state: 'closed', state_reason: 'completed' });
    const patches = () => github.requests.filter((request) => request.method === 'PATCH').length;
    const before = patches();
    await provider.updateStatus('acme/shop', '3', 'done');
    expect(patches()).toBe(before);
    await provider.updateStatus('acme/shop', '3', 'in_progress');
    expect(issue()).toMatchObject({ state: 'open', state_reason: 'reopened' });
    await provider.updateStatus('acme/shop', '3', 'cancelled');
    expect(issue()).toMatchObject({ state: 'closed', state_reason: 'not_planned' });
    expect(githubStatus(issue())).toBe('cancelled');
  });

  it('adds a comment, waiting out a rate limit first', async () => {
    github.rateLimitNext(3);
    const added = await provider.addComment('acme/shop', '9', 'Done by wfhub: wrote **hello.py**.');
    expect(slept.at(-1)).toBe(3000);
    expect(github.repos.get('acme/shop')!.comments.get(9)!.at(-1)).toMatchObject({ id: Number(added.external_id), body: 'Done by wfhub: wrote **hello.py**.' });
  });

  it('works against GitHub Enterprise under /api/v3', async () => {
    const enterprise = new GithubProvider({ token, baseUrl: `${github.url}/api/v3` });
    expect(await enterprise.validate()).toEqual({ account: 'octocat' });
    const first = await enterprise.listTasks('acme/shop');
    expect(first.next).toContain('/api/v3/repos/acme/shop/issues');
    expect((await enterprise.listTasks('acme/shop', first.next)).items.length).toBeGreaterThan(0);
  });

  it('reads the next page from a Link header', () => {
    expect(nextLink('<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"')).toBe('https://api.github.com/repositories/1/issues?page=2');
    expect(nextLink('<https://api.github.com/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});
