import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adfToMarkdown } from '../../src/integrations/jira/adf-to-markdown.js';
import { JiraProvider, jiraStatus } from '../../src/integrations/jira/jira-provider.js';
import { FakeJira, type FakeJiraIssue } from '../fakes/fake-jira.js';
import { allPages } from './all-pages.js';

const rich = {
  type: 'doc',
  version: 1,
  content: [
    { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Steps' }] },
    {
      type: 'paragraph',
      content: [
        { type: 'text', text: 'Ask ' },
        { type: 'mention', attrs: { id: '5b10', text: '@Mia Krystof' } },
        { type: 'text', text: ' about ' },
        { type: 'text', text: 'the cart', marks: [{ type: 'strong' }] },
        { type: 'text', text: ', see ' },
        { type: 'text', text: 'docs', marks: [{ type: 'link', attrs: { href: 'https://example.com/docs' } }] },
        { type: 'hardBreak' },
        { type: 'inlineCard', attrs: { url: 'https://example.atlassian.net/browse/ENG-2' } },
      ],
    },
    { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one' }] }, { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'nested' }] }] }] }] }] },
    { type: 'codeBlock', attrs: { language: 'js' }, content: [{ type: 'text', text: 'total()' }] },
    { type: 'mediaSingle', content: [{ type: 'media', attrs: { id: 'abc', type: 'file', alt: 'screen.png' } }] },
    { type: 'someFutureNode', content: [{ type: 'text', text: 'still readable' }] },
  ],
};

describe('Jira Cloud, against a fake Jira', () => {
  const email = 'mia@example.com';
  const token = 'ATATT3xFfGF0abcdefghijklmnop';
  let jira: FakeJira;
  let provider: JiraProvider;
  let parent: FakeJiraIssue;
  const slept: number[] = [];

  beforeAll(async () => {
    jira = await new FakeJira(email, token).start();
    for (let index = 0; index < 60; index++) jira.addProject(`P${index}`, `Project ${index}`);
    jira.addProject('ENG', 'Engineering');
    for (let index = 1; index <= 250; index++) jira.addIssue('ENG', `Issue ${index}`, { status: index % 10 === 0 ? 'In Review' : index % 7 === 0 ? 'Done' : 'To Do' });
    parent = jira.issues.find((issue) => issue.key === 'ENG-1')!;
    parent.description = rich;
    parent.attachments.push({ id: '10000', filename: 'screen.png', size: 2048, mimeType: 'image/png' });
    for (let index = 1; index <= 130; index++) parent.comments.push({ id: `c${index}`, body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: `Comment ${index}` }] }] }, created: '2026-11-30T10:00:00.000+0000' });
    jira.addIssue('ENG', 'A sub-task', { parent: 'ENG-1', status: 'In Progress' });
    provider = new JiraProvider({ email, token, baseUrl: jira.url, http: { sleep: async (ms) => void slept.push(ms) } });
  });
  afterAll(() => jira?.stop());

  it('validates the email and token, and says a wrong pair was refused', async () => {
    expect(await provider.validate()).toEqual({ account: 'Mia Krystof <mia@example.com>' });
    const wrong = new JiraProvider({ email, token: 'wrong', baseUrl: jira.url });
    await expect(wrong.validate()).rejects.toMatchObject({ code: 'tracker_unauthorized', message: expect.stringContaining('email it belongs to') });
  });

  it('lists every project, across pages', async () => {
    const projects = await provider.listProjects();
    expect(projects).toHaveLength(61);
    expect(projects.at(-1)).toEqual({ id: 'ENG', name: 'Engineering (ENG)', url: `${jira.url}/browse/ENG` });
  });

  it('searches 251 issues by page token, asking for the fields it reads', async () => {
    const { tasks: all, pages } = await allPages(provider, 'ENG');
    expect(pages).toBe(6);
    expect(all).toHaveLength(251);
    expect(all.find((issue) => issue.external_id === 'ENG-10')).toMatchObject({ title: 'ENG-10 Issue 10', status: 'review', url: `${jira.url}/browse/ENG-10` });
    expect(all.find((issue) => issue.external_id === 'ENG-7')!.status).toBe('done');
    expect(jira.requests.some((request) => request.path.startsWith('/rest/api/3/search/jql') && request.path.includes('fields=summary'))).toBe(true);
    await expect(provider.listTasks('not a key')).rejects.toThrow(/project key/);
  });

  it('reads an issue whole: its ADF description as markdown, sub-tasks, files and every page of comments', async () => {
    const issue = await provider.getTask('ENG', 'ENG-1');
    expect(issue.description).toBe(
      [
        '## Steps',
        'Ask @Mia Krystof about **the cart**, see [docs](https://example.com/docs)  \n<https://example.atlassian.net/browse/ENG-2>',
        '- one\n  - nested',
        '```js\ntotal()\n```',
        '[attachment: screen.png]',
        'still readable',
      ].join('\n\n'),
    );
    expect(issue.subtasks).toEqual([expect.objectContaining({ external_id: 'ENG-251', status: 'in_progress' })]);
    expect(issue.attachments).toEqual([{ name: 'screen.png', size: 2048, mime_type: 'image/png', url: `${jira.url}/rest/api/3/attachment/content/10000` }]);
    expect(issue.comments).toHaveLength(130);
    expect(issue.comments[129]).toMatchObject({ body: 'Comment 130', author: 'Mia Krystof' });
    await expect(provider.getTask('ENG', 'ENG-9999')).rejects.toMatchObject({ code: 'tracker_not_found', message: expect.stringContaining('Issue does not exist') });
  });

  it('moves an issue by the transition to a status of the same meaning, and leaves one already there', async () => {
    const issue = jira.issues.find((item) => item.key === 'ENG-3')!;
    await provider.updateStatus('ENG', 'ENG-3', 'review');
    expect(issue.status).toBe('In Review');
    await provider.updateStatus('ENG', 'ENG-3', 'in_progress');
    expect(issue.status).toBe('In Progress');
    await provider.updateStatus('ENG', 'ENG-3', 'done');
    expect(issue.status).toBe('Done');
    const posts = () => jira.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/transitions')).length;
    const before = posts();
    await provider.updateStatus('ENG', 'ENG-3', 'done');
    expect(posts()).toBe(before);
    expect(jiraStatus({ name: "Won't Do", statusCategory: { key: 'done' } })).toBe('cancelled');
  });

  it('comments in ADF (Jira refuses plain text), waiting out a rate limit', async () => {
    jira.rateLimitNext(5);
    const added = await provider.addComment('ENG', 'ENG-2', 'Done by wfhub: **tests pass**.');
    expect(slept.at(-1)).toBe(5000);
    const comment = jira.issues.find((item) => item.key === 'ENG-2')!.comments.at(-1)!;
    expect(comment.id).toBe(added.external_id);
    expect(comment.body).toMatchObject({ type: 'doc', version: 1 });
    expect(adfToMarkdown(comment.body as never)).toBe('Done by wfhub: **tests pass**.');
  });
});
