import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsanaProvider, asanaStatus } from '../../src/integrations/asana/asana-provider.js';
import { FakeAsana } from '../fakes/fake-asana.js';
import { allPages } from './all-pages.js';

describe('Asana, against a fake Asana', () => {
  const token = '2/1200000000000001/1200000000000002:abcdef0123456789';
  let asana: FakeAsana;
  let provider: AsanaProvider;
  let project: string;
  let parent: string;
  const slept: number[] = [];

  beforeAll(async () => {
    asana = await new FakeAsana(token).start();
    const workspace = asana.addWorkspace('Acme');
    asana.addProject(asana.addWorkspace('Other'), 'Elsewhere');
    project = asana.addProject(workspace, 'Shop');
    for (let index = 1; index <= 250; index++) asana.addTask(project, `Task ${index}`, { section: index % 10 === 0 ? 'Doing' : 'To do', completed: index % 25 === 0 });
    parent = asana.tasks[6]!.gid;
    asana.addTask(project, 'Sub one', { parent });
    asana.addTask(project, 'Sub two', { parent, completed: true });
    for (let index = 1; index <= 120; index++) asana.addComment(parent, `Comment ${index}`);
    asana.addActivity(parent, 'Ada assigned this task to you');
    asana.addAttachment(parent, 'mockup.png');
    provider = new AsanaProvider({ token, baseUrl: asana.url, http: { sleep: async (ms) => void slept.push(ms) } });
  });
  afterAll(() => asana?.stop());

  it('validates the token, and says a wrong one was refused', async () => {
    expect(await provider.validate()).toEqual({ account: 'Ada Lovelace <ada@example.com>' });
    const wrong = new AsanaProvider({ token: 'wrong-token', baseUrl: asana.url });
    await expect(wrong.validate()).rejects.toMatchObject({ code: 'tracker_unauthorized', message: expect.stringContaining('Not Authorized') });
  });

  it('lists the projects of every workspace', async () => {
    expect((await provider.listProjects()).map((item) => item.name).sort()).toEqual(['Elsewhere', 'Shop']);
  });

  it('lists 250 tasks across pages, each with its state from its completed flag or its section', async () => {
    const { tasks: all, pages } = await allPages(provider, project);
    expect(pages).toBe(3);
    expect(all).toHaveLength(250);
    expect(all.find((task) => task.title === 'Task 10')!.status).toBe('in_progress');
    expect(all.find((task) => task.title === 'Task 25')!.status).toBe('done');
    expect(all.find((task) => task.title === 'Task 1')).toMatchObject({ status: 'todo', url: expect.stringContaining('app.asana.com') });
  });

  it('reads a task whole: notes, subtasks, every page of its comments (not its activity), its files', async () => {
    const task = await provider.getTask(project, parent);
    expect(task).toMatchObject({ title: 'Task 7', description: 'Notes of Task 7', due_date: '2026-12-24', labels: ['backend'] });
    expect(task.subtasks.map((subtask) => [subtask.title, subtask.status])).toEqual([
      ['Sub one', 'todo'],
      ['Sub two', 'done'],
    ]);
    expect(task.comments).toHaveLength(120);
    expect(task.comments[0]).toMatchObject({ author: 'Ada', body: 'Comment 1' });
    expect(task.attachments).toEqual([{ name: 'mockup.png', size: 1234, url: expect.stringContaining('get_asset') }]);
    await expect(provider.getTask(project, '999')).rejects.toMatchObject({ code: 'tracker_not_found' });
  });

  it('completes a task, moves it back to a section for its state, and comments, waiting out a rate limit', async () => {
    const gid = asana.tasks[2]!.gid;
    const record = () => asana.tasks.find((task) => task.gid === gid)!;
    await provider.updateStatus(project, gid, 'done');
    expect(record().completed).toBe(true);
    await provider.updateStatus(project, gid, 'review');
    expect(record().completed).toBe(false);
    expect(asanaStatus(record() as never, project)).toBe('review');
    await provider.updateStatus(project, gid, 'in_progress');
    expect(asanaStatus(record() as never, project)).toBe('in_progress');

    asana.rateLimitNext(30);
    const added = await provider.addComment(project, gid, 'Done by wfhub.');
    expect(slept.at(-1)).toBe(30_000);
    expect(asana.stories.at(-1)).toMatchObject({ gid: added.external_id, text: 'Done by wfhub.', target: { gid } });
  });
});
