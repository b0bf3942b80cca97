import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { git, repositoryWith } from '../helpers/git.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';
import { uploadParts } from '../helpers/multipart.js';

describe.each(backends())('task context and prompts on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  const workspace = (name: string) => path.join(hub.dir, 'workspaces', name);

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    ollama.models.push({ name: 'tiny:4k', capabilities: ['completion', 'tools'], contextLength: 4096 });
    hub = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b', publicUrl: 'https://wfhub.localhost' });
    await hub.services.scheduler.start();
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });
  beforeEach(() => {
    ollama.chatRequests.length = 0;
  });

  const post = async (url: string, body: unknown) => {
    const answer = await hub.call('POST', url, body);
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    return answer.body;
  };

  it('tells a task with its project, criteria, attachments, comments, family, git state and discovery', async () => {
    const project = await post('/projects', { name: 'Shop', workspace_path: 'shop', environment: { stage: 'dev', url: 'http://shop.test' } });
    repositoryWith(workspace('shop'), {
      'package.json': JSON.stringify({ scripts: { test: 'vitest run', build: 'vite build', lint: 'eslint .' }, dependencies: { react: '^19' }, devDependencies: { vitest: '^4', typescript: '^5' } }),
      'README.md': '# Shop\n\n[![build](https://ci/badge.svg)](https://ci)\n\nA tiny web shop with a cart and a checkout.\n\n## Setup\n\nRun npm install.',
      'app.ts': 'export const cart = [];\n',
    });
    writeFileSync(path.join(workspace('shop'), 'app.ts'), 'export const cart = [1];\n');
    const parent = await post('/tasks', { project_id: project.id, title: 'Checkout', acceptance_criteria: ['Users can pay'] });
    const task = await post('/tasks', {
      project_id: project.id,
      parent_id: parent.id,
      node: 'dev',
      title: 'Add a cart total',
      description: 'Show the sum of the cart under the list.',
      acceptance_criteria: ['The total is shown', { text: 'Tests pass', check: 'npm test' }],
    });
    const subtask = await post('/tasks', { project_id: project.id, parent_id: task.id, title: 'Format the total as money' });
    for (let index = 1; index <= 5; index++) await post(`/tasks/${task.id}/comments`, { author: 'ana', body: `Note ${index}` });
    const upload = await uploadParts(hub, task.id, [{ field: 'file', fileName: 'mockup.txt', content: 'the cart, drawn', contentType: 'text/plain' }]);
    expect(upload.status).toBe(201);

    const answer = await hub.call('GET', `/tasks/${task.id}/context`);
    expect(answer.status).toBe(200);
    const context = answer.body;
    expect(context.project).toMatchObject({ id: project.id, name: 'Shop', workspace_path: 'shop', environment: { stage: 'dev', url: 'http://shop.test' } });
    expect(context.system_domain).toBe('https://wfhub.localhost');
    expect(context.help_url).toBe(`https://wfhub.localhost/help?task_id=${task.id}`);
    expect(context.objective).toBe('Add a cart total\n\nShow the sum of the cart under the list.');
    expect(context.task).toMatchObject({ id: task.id, node: 'dev', status: 'todo' });
    expect(context.acceptance_criteria.map((criterion: { text: string }) => criterion.text)).toEqual(['The total is shown', 'Tests pass']);
    expect(context.acceptance_criteria[1].check).toBe('npm test');
    expect(context.attachments).toEqual([expect.objectContaining({ file_name: 'mockup.txt', size_bytes: 15, download_url: expect.stringMatching(/^\/attachments\/\d+\/download$/) })]);
    expect(context.comments.total).toBe(5);
    expect(context.comments.last.body).toBe('Note 5');
    expect(context.parent).toEqual({ id: parent.id, title: 'Checkout', status: 'todo' });
    expect(context.subtasks).toEqual([{ id: subtask.id, title: 'Format the total as money', status: 'todo' }]);
    expect(context.git.branch).toBe('main');
    expect(context.git.head).toBe(git(workspace('shop'), 'rev-parse', 'HEAD'));
    expect(context.git.dirty).toEqual(['app.ts']);
    expect(context.git.recent_commits[0].subject).toBe('Start');
    expect(context.recent_files).toContain('app.ts');
    expect(context.discovery.languages[0].language).toBe('TypeScript');
    expect(context.discovery.frameworks).toEqual(expect.arrayContaining(['React', 'Vitest', 'TypeScript']));
    expect(context.discovery.commands).toEqual(
      expect.arrayContaining([
        { kind: 'test', command: 'npm test', source: 'package.json' },
        { kind: 'build', command: 'npm run build', source: 'package.json' },
        { kind: 'lint', command: 'npm run lint', source: 'package.json' },
      ]),
    );
    expect(context.discovery.readme.summary).toContain('A tiny web shop with a cart and a checkout.');
    expect(context.discovery.readme.summary).not.toContain('badge.svg');
    expect(context.endpoints).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'POST', path: `/tasks/${task.id}/comments` })]));

    const concise = (await hub.call('GET', `/tasks/${task.id}/context?concise=true`)).body;
    expect(concise.concise).toBe(true);
    expect(concise.objective).toBe(context.objective);
    expect(concise.acceptance_criteria).toHaveLength(2);
    expect(concise.comments.recent.map((comment: { body: string }) => comment.body)).toEqual(['Note 3', 'Note 4', 'Note 5']);
    expect(concise.comments.total).toBe(5);
  });

  it('refuses an unknown task and a bad flag, and says null for a workspace without git', async () => {
    expect(errorCode(await hub.call('GET', '/tasks/999999/context'))).toBe('not_found');
    const project = await post('/projects', { name: 'Plain', workspace_path: 'plain' });
    const task = await post('/tasks', { project_id: project.id, title: 'Look around' });
    const bad = await hub.call('GET', `/tasks/${task.id}/context?concise=maybe`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('concise');
    const context = (await hub.call('GET', `/tasks/${task.id}/context`)).body;
    expect(context.git).toBeNull();
    expect(context.discovery.file_count).toBe(0);
    expect(context.acceptance_criteria).toEqual([]);
  });

  it("fits the seed's hello task into a 4k window with its objective and criteria", async () => {
    const project = await post('/projects', { name: 'POC', workspace_path: 'poc', settings: { model: 'tiny:4k' } });
    const task = await post('/tasks', { project_id: project.id, title: 'Create hello.txt', description: 'Create a file hello.txt with the text Hello World.', acceptance_criteria: ['hello.txt contains Hello World'] });
    const preview = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
    expect(preview.model).toBe('tiny:4k');
    expect(preview.num_ctx).toBe(4096);
    expect(preview.estimated_tokens).toBeLessThanOrEqual(preview.budget);
    expect(preview.budget).toBeLessThan(4096);
    expect(preview.user).toContain('# Task: Create hello.txt');
    expect(preview.user).toContain('Create a file hello.txt with the text Hello World.');
    expect(preview.user).toContain('- [ ] hello.txt contains Hello World');
    expect(preview.user).toContain('PROJECT_INFO');
    expect(preview.trimmed).toEqual([]);
    expect(preview.system).toContain('finish');
  });

  it('keeps the objective and every criterion of a task with long comments and many files, trimming the rest', async () => {
    const project = await post('/projects', { name: 'Big', workspace_path: 'big', settings: { model: 'tiny:4k' } });
    const files: Record<string, string> = {};
    for (let index = 0; index < 1000; index++) files[`src/module-${String(index).padStart(4, '0')}.ts`] = `export const value${index} = ${index};\n`;
    mkdirSync(path.join(workspace('big'), 'src'), { recursive: true });
    repositoryWith(workspace('big'), files);
    const criteria = Array.from({ length: 8 }, (_, index) => `Criterion number ${index + 1} holds`);
    const task = await post('/tasks', { project_id: project.id, title: 'Refactor the modules', description: 'Merge the value modules into one file.', acceptance_criteria: criteria });
    for (let index = 0; index < 12; index++) await post(`/tasks/${task.id}/comments`, { author: 'bo', body: `Comment ${index}: ${'a long thought about the modules '.repeat(60)}` });

    const preview = (await post(`/tasks/${task.id}/prompt`, { message: 'Keep the exports.' })) as Record<string, any>;
    expect(preview.num_ctx).toBe(4096);
    expect(preview.estimated_tokens).toBeLessThanOrEqual(preview.budget);
    expect(preview.user).toContain('# Task: Refactor the modules');
    expect(preview.user).toContain('Merge the value modules into one file.');
    for (const criterion of criteria) expect(preview.user).toContain(criterion);
    expect(preview.user).toContain('Keep the exports.');
    expect(preview.trimmed.length).toBeGreaterThan(0);
    expect(preview.trimmed).toEqual(expect.arrayContaining(['comments']));
    const state = Object.fromEntries(preview.sections.map((section: { id: string; state: string }) => [section.id, section.state]));
    expect(state).toMatchObject({ objective: 'kept', acceptance_criteria: 'kept', instructions: 'kept' });

    // With a big window nothing needs trimming.
    const roomy = (await post(`/tasks/${task.id}/prompt`, { model: 'qwen2.5-coder:3b' })) as Record<string, any>;
    expect(roomy.num_ctx).toBe(16384);
    expect(roomy.trimmed).not.toContain('last_comment');
    expect(roomy.user).toContain('Comment 11');
  });

  it('is the prompt the run sends, word for word', async () => {
    const project = await post('/projects', { name: 'Same', workspace_path: 'same' });
    repositoryWith(workspace('same'), { 'README.md': '# Same\n' });
    const task = await post('/tasks', { project_id: project.id, title: 'Write notes.md', acceptance_criteria: ['notes.md exists'] });
    await post(`/tasks/${task.id}/comments`, { author: 'cy', body: 'Keep it short.' });
    const preview = (await post(`/tasks/${task.id}/prompt`, { message: 'Use Markdown.' })) as Record<string, any>;
    ollama.script({ toolCalls: [{ name: 'finish', arguments: { summary: 'Nothing to do.' } }] });
    const run = await post(`/tasks/${task.id}/trigger`, { message: 'Use Markdown.' });
    const ended = await hub.ended(run.id);
    expect(ended.status).toBe('succeeded');
    const [first] = ollama.chatRequests as { messages: { role: string; content: string }[] }[];
    expect(first!.messages[0]).toMatchObject({ role: 'system', content: preview.system });
    expect(first!.messages[1]).toMatchObject({ role: 'user', content: preview.user });
    expect(ended.prompt).toBe(preview.user);
    const started = (await hub.call('GET', `/runs/${run.id}/events`)).body.find((event: { type: string }) => event.type === 'run.started');
    expect(started.data.estimated_prompt_tokens).toBe(preview.estimated_tokens);
  });

  it("keeps what people said however many run summaries wfhub wrote since, and tells the last run's as information", async () => {
    const project = await post('/projects', { name: 'Talky', workspace_path: 'talky' });
    repositoryWith(workspace('talky'), { 'a.txt': 'a\n' });
    const task = await post('/tasks', { project_id: project.id, title: 'Indent the code' });
    await post(`/tasks/${task.id}/comments`, { author: 'ana', body: 'USE TABS NOT SPACES' });
    for (let index = 1; index <= 12; index++) await hub.services.comments.create(task.id, { author: 'wfhub', body: `Run ${index} failed: the model stopped.` });
    const context = (await hub.call('GET', `/tasks/${task.id}/context`)).body;
    expect(context.comments.total).toBe(13);
    expect(context.comments.recent.map((comment: { body: string }) => comment.body)).toEqual(['USE TABS NOT SPACES']);
    expect(context.comments.last.body).toBe('USE TABS NOT SPACES');
    expect(context.comments.last_run.body).toBe('Run 12 failed: the model stopped.');
    const preview = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
    expect(preview.user).toContain('ana: USE TABS NOT SPACES');
    expect(preview.user).toContain("## The last run of this task (wfhub's record, for information)\nRun 12 failed");
    expect(preview.user).not.toContain('Run 11 failed');
  });

  it('previews a worktree run from its worktree, word for word', async () => {
    const project = await post('/projects', { name: 'Trees', workspace_path: 'trees', settings: { isolation: 'worktree' } });
    repositoryWith(workspace('trees'), { 'app.ts': 'export {};\n', 'README.md': '# Trees\n' });
    writeFileSync(path.join(workspace('trees'), 'dirty.ts'), 'not committed\n');
    const task = await post('/tasks', { project_id: project.id, title: 'Grow a branch' });
    const before = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
    expect(before.warning).toContain('no worktree yet');

    ollama.script({ toolCalls: [{ name: 'finish', arguments: { summary: 'Looked.' } }] });
    const first = await post(`/tasks/${task.id}/trigger`, {});
    expect((await hub.ended(first.id)).status).toBe('succeeded');
    const preview = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
    expect(preview.warning).toBeUndefined();
    expect(preview.user).toContain(`Branch: wfhub/task-${task.id}`);
    expect(preview.user).not.toContain('dirty.ts');
    ollama.chatRequests.length = 0;
    ollama.script({ toolCalls: [{ name: 'finish', arguments: { summary: 'Looked again.' } }] });
    const second = await post(`/tasks/${task.id}/trigger`, {});
    const ended = await hub.ended(second.id);
    expect(ended.status).toBe('succeeded');
    expect((ollama.chatRequests[0] as { messages: { content: string }[] }).messages[1]!.content).toBe(preview.user);
  });

  it('says when the prompt cannot fit the window (a directive too long for it), in the preview and the run', async () => {
    await hub.call('POST', '/nodes', { name: 'verbose', directive: `You follow these rules. ${'Always explain every step in detail. '.repeat(400)}` });
    const project = await post('/projects', { name: 'Wordy', workspace_path: 'wordy', settings: { model: 'tiny:4k' } });
    repositoryWith(workspace('wordy'), { 'a.txt': 'a\n' });
    const task = await post('/tasks', { project_id: project.id, title: 'Do a small thing', node: 'verbose', acceptance_criteria: ['It is done'] });
    const preview = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
    expect(preview.estimated_tokens).toBeGreaterThan(preview.budget);
    expect(preview.warning).toContain('Shorten the directive');
    expect(preview.user).toContain('# Task: Do a small thing');
    ollama.script({ toolCalls: [{ name: 'finish', arguments: { summary: 'Done.' } }] });
    const run = await post(`/tasks/${task.id}/trigger`, {});
    await hub.ended(run.id);
    const events = (await hub.call('GET', `/runs/${run.id}/events`)).body;
    expect(events.find((event: { type: string; data: { code?: string } }) => event.type === 'run.warning' && event.data.code === 'prompt_too_large')).toBeDefined();
  });

  it("tells the agent wfhub's API only when its commands can reach it", async () => {
    const project = await post('/projects', { name: 'Online', workspace_path: 'online', settings: { allow_network: true } });
    repositoryWith(workspace('online'), { 'a.txt': 'a\n' });
    const task = await post('/tasks', { project_id: project.id, title: 'Report back' });
    const online = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
    expect(online.user).toContain("## wfhub's API (SYSTEM_DOMAIN https://wfhub.localhost)");
    expect(online.user).toContain(`POST /tasks/${task.id}/comments`);
    await hub.call('PATCH', `/projects/${project.id}`, { settings: { allow_network: false } });
    const offline = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
    expect(offline.user).not.toContain("wfhub's API");
  });

  it('names the role it is built for, and works out a window when the model server is away', async () => {
    const project = await post('/projects', { name: 'Roles', workspace_path: 'roles' });
    const task = await post('/tasks', { project_id: project.id, title: 'Review the code', node: 'qa' });
    const qa = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
    expect(qa.node).toBe('qa');
    const directive = (await hub.call('GET', '/nodes')).body.find((node: { name: string }) => node.name === 'qa').directive;
    expect(qa.system.startsWith(directive)).toBe(true);
    const documentation = (await post(`/tasks/${task.id}/prompt`, { node: 'documentation' })) as Record<string, any>;
    expect(documentation.node).toBe('documentation');
    expect(errorCode(await hub.call('POST', `/tasks/${task.id}/prompt`, { node: 'nobody' }))).toBe('not_found');
    expect((await hub.call('POST', `/tasks/${task.id}/prompt`, { surprise: 1 })).status).toBe(400);

    ollama.failWith = 503;
    try {
      const away = (await post(`/tasks/${task.id}/prompt`, {})) as Record<string, any>;
      expect(away.num_ctx).toBe(16384);
      expect(away.warning).toContain('WFHUB_NUM_CTX');
    } finally {
      ollama.failWith = undefined;
    }
  });

  it('adds roles of your own, refuses a duplicate or a bad name, and runs with the new directive', async () => {
    const created = await hub.call('POST', '/nodes', { name: 'reviewer', directive: 'You review code and say what to change.', model: 'tiny:4k', max_steps: 5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'reviewer', directive: 'You review code and say what to change.', model: 'tiny:4k', max_steps: 5 });
    expect((await hub.call('GET', '/nodes')).body.map((node: { name: string }) => node.name)).toContain('reviewer');
    const duplicate = await hub.call('POST', '/nodes', { name: 'reviewer', directive: 'Again' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.message).toContain('PATCH /nodes/');
    expect((await hub.call('POST', '/nodes', { name: 'Has Spaces', directive: 'x' })).status).toBe(400);
    expect((await hub.call('POST', '/nodes', { name: 'empty' })).status).toBe(400);

    const project = await post('/projects', { name: 'Custom', workspace_path: 'custom' });
    const task = await post('/tasks', { project_id: project.id, title: 'Look at app.ts', node: 'reviewer' });
    ollama.script({ toolCalls: [{ name: 'finish', arguments: { summary: 'Looks fine.' } }] });
    const run = await post(`/tasks/${task.id}/trigger`, {});
    expect((await hub.ended(run.id)).status).toBe('succeeded');
    const [first] = ollama.chatRequests as { model: string; messages: { content: string }[] }[];
    expect(first!.model).toBe('tiny:4k');
    expect(first!.messages[0]!.content.startsWith('You review code and say what to change.')).toBe(true);
  });

  it('shows one role, deletes a role of your own once no task has it, and keeps the built-in ones', async () => {
    const nodes = (await hub.call('GET', '/nodes')).body as { id: number; name: string }[];
    const dev = nodes.find((node) => node.name === 'dev')!;
    expect((await hub.call('GET', `/nodes/${dev.id}`)).body).toMatchObject({ id: dev.id, name: 'dev' });
    expect(errorCode(await hub.call('GET', '/nodes/999999'))).toBe('not_found');

    const builtIn = await hub.call('DELETE', `/nodes/${dev.id}`);
    expect(builtIn.status).toBe(409);
    expect(errorCode(builtIn)).toBe('node_built_in');
    expect(builtIn.body.error.message).toContain(`PATCH /nodes/${dev.id}`);

    const linter = (await post('/nodes', { name: 'linter', directive: 'You fix lint errors.' })) as { id: number };
    const project = await post('/projects', { name: 'Linted', workspace_path: 'linted' });
    const task = await post('/tasks', { project_id: project.id, title: 'Fix lint', node: 'linter' });
    const inUse = await hub.call('DELETE', `/nodes/${linter.id}`);
    expect(inUse.status).toBe(409);
    expect(errorCode(inUse)).toBe('node_in_use');
    expect(inUse.body.error.message).toContain('1 task has the role "linter"');
    expect((await hub.call('GET', `/nodes/${linter.id}`)).status).toBe(200);

    expect((await hub.call('PATCH', `/tasks/${task.id}`, { node: 'dev' })).status).toBe(200);
    // A run working in the role holds it too, until it ends.
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const run = await post(`/tasks/${task.id}/trigger`, { node: 'linter' });
    const busy = await hub.call('DELETE', `/nodes/${linter.id}`);
    expect(errorCode(busy)).toBe('node_in_use');
    expect(busy.body.error.message).toContain('1 run is queued or working in the role "linter"');
    await hub.call('POST', `/runs/${run.id}/cancel`);
    expect((await hub.ended(run.id)).status).toBe('cancelled');
    expect((await hub.call('DELETE', `/nodes/${linter.id}`)).status).toBe(204);
    expect((await hub.call('GET', `/runs/${run.id}`)).body.status).toBe('cancelled');
    expect(errorCode(await hub.call('GET', `/nodes/${linter.id}`))).toBe('not_found');
    expect(errorCode(await hub.call('DELETE', `/nodes/${linter.id}`))).toBe('not_found');
    expect((await hub.call('GET', '/nodes')).body.map((node: { name: string }) => node.name)).not.toContain('linter');
  });

  it('answers /help with what an agent may call, filled in for a task', async () => {
    const general = (await hub.call('GET', '/help')).body;
    expect(general.system_domain).toBe('https://wfhub.localhost');
    expect(general.task).toBeNull();
    expect(general.nodes.map((node: { name: string }) => node.name)).toEqual(expect.arrayContaining(['pm', 'dev', 'qa', 'security', 'documentation']));
    expect(general.endpoints.map((endpoint: { path: string }) => endpoint.path)).toContain('/tasks/{task_id}/context?concise=true');

    const project = await post('/projects', { name: 'Helped', workspace_path: 'helped' });
    const task = await post('/tasks', { project_id: project.id, title: 'Be helped' });
    const help = (await hub.call('GET', `/help?task_id=${task.id}`)).body;
    expect(help.task).toMatchObject({ id: task.id, project_id: project.id });
    const comment = help.endpoints.find((endpoint: { method: string; path: string }) => endpoint.method === 'POST' && endpoint.path === `/tasks/${task.id}/comments`);
    expect(comment.example).toContain(`https://wfhub.localhost/tasks/${task.id}/comments`);
    const subtask = help.endpoints.find((endpoint: { method: string; path: string }) => endpoint.method === 'POST' && endpoint.path === '/tasks');
    expect(subtask.body).toMatchObject({ project_id: project.id, parent_id: task.id });
    expect(errorCode(await hub.call('GET', '/help?task_id=999999'))).toBe('not_found');
    expect((await hub.call('GET', '/help?task_id=abc')).status).toBe(400);
  });
});
