import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeOllama } from '../fakes/fake-ollama.js';
import { backends } from '../helpers/database.js';
import { uploadParts } from '../helpers/multipart.js';
import { createTestHub, errorCode, type TestHub } from '../helpers/test-hub.js';

/** A real 1x1 PNG. */
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

type Request = { model: string; messages: { role: string; content: string; images?: string[] }[] };

describe.each(backends())('chat with the agent, and images for a vision model, on %s', (kind) => {
  let ollama: FakeOllama;
  let hub: TestHub;
  let projectId: number;

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
    ollama.models.push({ name: 'gemma3:4b', capabilities: ['completion', 'vision'], contextLength: 8192 });
    ollama.models.push({ name: 'qwen2.5vl:7b', capabilities: ['completion', 'vision'], contextLength: 8192 });
    hub = await createTestHub(kind, { ollamaHost: ollama.url, model: 'qwen2.5-coder:3b', visionModels: 'qwen2.5vl:7b' });
    await hub.services.scheduler.start();
    projectId = (await hub.call('POST', '/projects', { name: 'Chat', workspace_path: 'chat' })).body.id;
  });
  afterAll(async () => {
    await hub?.close();
    await ollama?.stop();
  });
  beforeEach(() => {
    ollama.chatRequests.length = 0;
  });
  const requests = () => ollama.chatRequests as unknown as Request[];
  const lines = (raw: string) => raw.trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);

  it('answers, acts in the workspace, keeps the conversation and continues it', async () => {
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'todo.md', content: '- ship it\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'I wrote todo.md with one item.' } }] },
    );
    const first = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'Start a todo list in todo.md' });
    expect(first.status).toBe(200);
    expect(first.body.message).toMatchObject({ role: 'assistant', content: 'I wrote todo.md with one item.', status: 'succeeded', files_changed: ['todo.md'] });
    expect(readFileSync(path.join(hub.dir, 'workspaces', 'chat', 'todo.md'), 'utf8')).toBe('- ship it\n');
    const conversationId = first.body.conversation_id;

    ollama.script({ text: 'It has one item: ship it.' });
    const second = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'What is on the list?', conversation_id: conversationId });
    expect(second.body.message.content).toBe('It has one item: ship it.');
    const prompt = requests().at(-1)!.messages[1]!.content;
    expect(prompt).toContain('The conversation so far');
    expect(prompt).toContain('User: Start a todo list in todo.md');
    expect(prompt).toContain('You: I wrote todo.md with one item.');
    expect(prompt).toContain('What is on the list?');

    const conversation = (await hub.call('GET', `/chats/${conversationId}`)).body;
    expect(conversation.title).toBe('Start a todo list in todo.md');
    expect(conversation.messages.map((message: { role: string; content: string }) => [message.role, message.content])).toEqual([
      ['user', 'Start a todo list in todo.md'],
      ['assistant', 'I wrote todo.md with one item.'],
      ['user', 'What is on the list?'],
      ['assistant', 'It has one item: ship it.'],
    ]);
    const list = await hub.call('GET', `/projects/${projectId}/chats`);
    expect(list.body.map((entry: { id: number }) => entry.id)).toContain(conversationId);
    expect(list.headers['x-total-count']).toBeDefined();
  });

  it('streams the conversation, the agent events and the answer as NDJSON', async () => {
    ollama.script({ text: 'Hello, ', chunkSize: 3 });
    const answer = await hub.call('POST', `/projects/${projectId}/chat`, { message: 'Say hello' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('application/x-ndjson');
    const events = lines(answer.raw.body);
    expect(events[0]).toMatchObject({ type: 'chat.started', message: { role: 'user', content: 'Say hello' } });
    expect(events.some((event) => event.type === 'llm.delta')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'chat.finished', message: { role: 'assistant', content: 'Hello,' } });
    expect(events.at(-1)!.conversation_id).toBe(events[0]!.conversation_id);
  });

  it('shows images to the vision model and puts what it saw into the working model\'s prompt', async () => {
    ollama.script(
      { text: 'A login form. Red text under it says: Invalid password.' },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'The form shows an invalid password error.' } }] },
    );
    const answer = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, {
      message: 'What does this screenshot show?',
      images: [`data:image/png;base64,${png.toString('base64')}`],
    });
    expect(answer.status).toBe(200);
    const [vision, working] = requests();
    expect(vision!.model).toBe('gemma3:4b');
    expect(vision!.messages.at(-1)!.images).toEqual([png.toString('base64')]);
    expect(working!.model).toBe('qwen2.5-coder:3b');
    expect(working!.messages[1]!.content).toContain('Red text under it says: Invalid password.');
    expect(working!.messages.some((message) => message.images?.length)).toBe(false);
    const kept = (await hub.call('GET', `/chats/${answer.body.conversation_id}`)).body.messages[0];
    expect(kept.images).toEqual([{ name: 'image 1', model: 'gemma3:4b', description: 'A login form. Red text under it says: Invalid password.' }]);
  });

  it('takes an allowed vision model per request and refuses one not allowed, keeping nothing', async () => {
    ollama.script({ text: 'A cat.' }, { text: 'It is a cat.' });
    const allowed = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'And this?', images: [png.toString('base64')], vision_model: 'qwen2.5vl:7b' });
    expect(allowed.status).toBe(200);
    expect(requests()[0]!.model).toBe('qwen2.5vl:7b');

    const before = (await hub.call('GET', `/projects/${projectId}/chats`)).body.length;
    const refused = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'And this?', images: [png.toString('base64')], vision_model: 'llava:34b' });
    expect(refused.status).toBe(400);
    expect(errorCode(refused)).toBe('vision_model_not_allowed');
    expect(refused.body.error.message).toContain('WFHUB_VISION_MODELS');
    expect((await hub.call('GET', `/projects/${projectId}/chats`)).body.length).toBe(before);
  });

  it('takes a phone-sized screenshot (more than the usual 4 MiB body) and says what the limit is past 32 MiB', async () => {
    const big = Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024, 7)]).toString('base64');
    ollama.script({ text: 'A grey picture.' }, { text: 'It is grey.' });
    const answer = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'And this big one?', images: [big] });
    expect(answer.status).toBe(200);
    expect(requests()[0]!.messages.at(-1)!.images![0]!.length).toBe(big.length);
    const tooBig = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'Too much', images: [big, big, big, big, big] });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.message).toContain('32 MiB');
  });

  it('goes on without the image when the vision model cannot see it, and says so', async () => {
    ollama.script({ kind: 'http-error', status: 404, message: "model 'gemma3:4b' not found, try pulling it first" }, { text: 'I could not see the image.' });
    const answer = await hub.call('POST', `/projects/${projectId}/chat`, { message: 'Look at this', images: [png.toString('base64')] });
    const events = lines(answer.raw.body);
    expect(events.find((event) => event.type === 'vision.failed')).toMatchObject({ name: 'image 1', model: 'gemma3:4b' });
    expect(events.find((event) => event.type === 'run.warning' && event.code === 'image_not_described')).toBeDefined();
    expect(events.at(-1)).toMatchObject({ type: 'chat.finished', message: { content: 'I could not see the image.' } });
    expect(events.at(-1)!.warnings).toEqual([expect.objectContaining({ code: 'image_not_described' })]);
  });

  it('answers with the warnings and the trimmed sections when not streaming', async () => {
    ollama.script({ kind: 'http-error', status: 404, message: "model 'gemma3:4b' not found, try pulling it first" }, { text: 'No picture, sorry.' });
    const answer = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'Look at this one', images: [png.toString('base64')] });
    expect(answer.status).toBe(200);
    expect(answer.body.message.content).toBe('No picture, sorry.');
    expect(answer.body.warnings).toEqual([expect.objectContaining({ code: 'image_not_described', message: expect.stringContaining('gemma3:4b') })]);
    expect(answer.body.trimmed).toEqual([]);

    // A window too small for the conversation so far: the answer says what was cut.
    ollama.models.push({ name: 'tiny:1b', capabilities: ['completion', 'tools'], contextLength: 2048 });
    ollama.script({ text: 'A story.' }, { text: 'Short now.' });
    const first = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: `Remember this: ${'a long story '.repeat(400)}`, model: 'tiny:1b' });
    expect(first.body.message.status).toBe('succeeded');
    const next = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'What was it?', model: 'tiny:1b', conversation_id: first.body.conversation_id });
    expect(next.body.message.content).toBe('Short now.');
    expect(next.body.trimmed).toContain('conversation');
  });

  it('leaves a failed answer out of the conversation it tells the agent', async () => {
    ollama.script({ kind: 'http-error', status: 400, message: 'invalid options' });
    const failed = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'Count the files' });
    expect(failed.body.message.status).toBe('failed');
    expect(failed.body.message.content).toContain('refused the request');
    ollama.chatRequests.length = 0;
    ollama.script({ text: 'There are two.' });
    const again = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'Try again', conversation_id: failed.body.conversation_id });
    expect(again.body.message.content).toBe('There are two.');
    const prompt = requests().at(-1)!.messages[1]!.content;
    expect(prompt).toContain('User: Count the files');
    expect(prompt).not.toContain('refused the request');
    expect(prompt).not.toContain('You:');

    // A turn that changed files before it failed is told as such, so "go on" knows what was done.
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'half.md', content: 'half\n' } }] }, { kind: 'http-error', status: 400, message: 'invalid options' });
    const halfway = await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'Write two files', conversation_id: failed.body.conversation_id });
    expect(halfway.body.message).toMatchObject({ status: 'failed', files_changed: ['half.md'] });
    ollama.chatRequests.length = 0;
    ollama.script({ text: 'Now both are there.' });
    await hub.call('POST', `/projects/${projectId}/chat?stream=false`, { message: 'Go on', conversation_id: failed.body.conversation_id });
    const told = requests().at(-1)!.messages[1]!.content;
    expect(told).toContain('User: Write two files');
    expect(told).toMatch(/You \(your turn failed: .*refused the request.*; you had changed half\.md\)/);
  });

  it('refuses bad requests with a clear error and keeps nothing', async () => {
    const before = (await hub.call('GET', `/projects/${projectId}/chats`)).body.length;
    expect(errorCode(await hub.call('POST', '/projects/999999/chat', { message: 'hi' }))).toBe('not_found');
    expect((await hub.call('POST', `/projects/${projectId}/chat`, { message: '' })).status).toBe(400);
    expect((await hub.call('POST', `/projects/${projectId}/chat`, { message: 'hi', images: ['not base64!'] })).status).toBe(400);
    const notImage = await hub.call('POST', `/projects/${projectId}/chat`, { message: 'hi', images: [Buffer.from('%PDF-1.7 not a picture').toString('base64')] });
    expect(notImage.status).toBe(400);
    expect(notImage.body.error.message).toContain('must be a PNG, JPEG, WebP or GIF image');
    // The same check holds without the HTTP layer (the command line's local chat).
    await expect(hub.services.projectChat.open(projectId, { message: 'hi', images: [Buffer.from('plain text').toString('base64')] })).rejects.toMatchObject({ code: 'invalid_image' });
    expect((await hub.call('POST', `/projects/${projectId}/chat`, { message: 'hi', extra: true })).status).toBe(400);
    expect(errorCode(await hub.call('POST', `/projects/${projectId}/chat`, { message: 'hi', node: 'nobody' }))).toBe('not_found');
    const other = (await hub.call('POST', '/projects', { name: 'Other', workspace_path: 'other' })).body.id;
    ollama.script({ text: 'ok' });
    const theirs = (await hub.call('POST', `/projects/${other}/chat?stream=false`, { message: 'hi' })).body.conversation_id;
    const crossed = await hub.call('POST', `/projects/${projectId}/chat`, { message: 'hi', conversation_id: theirs });
    expect(errorCode(crossed)).toBe('not_found');
    expect(crossed.body.error.message).toContain(`/projects/${projectId}/chats`);
    expect((await hub.call('GET', `/projects/${projectId}/chats`)).body.length).toBe(before);
    expect(errorCode(await hub.call('GET', '/chats/999999'))).toBe('not_found');
    expect((await hub.call('DELETE', `/chats/${theirs}`)).status).toBe(204);
    expect(errorCode(await hub.call('GET', `/chats/${theirs}`))).toBe('not_found');
  });

  it("describes a task's image attachment once and puts it into the run's prompt", async () => {
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Match the mockup', acceptance_criteria: ['The page looks like mockup.png'] })).body;
    expect((await uploadParts(hub, task.id, [{ field: 'file', fileName: 'mockup.png', content: png, contentType: 'image/png' }])).status).toBe(201);
    ollama.script(
      { text: 'A page with a blue header reading "Shop" and three product cards.' },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Done.' } }] },
    );
    const run = (await hub.call('POST', `/tasks/${task.id}/trigger`, {})).body;
    const ended = await hub.ended(run.id);
    expect(ended.status).toBe('succeeded');
    const [vision, working] = requests();
    expect(vision!.model).toBe('gemma3:4b');
    expect(vision!.messages.at(-1)!.images).toEqual([png.toString('base64')]);
    expect(working!.messages[1]!.content).toContain('### mockup.png\nA page with a blue header reading "Shop" and three product cards.');
    expect(ended.prompt).toContain('three product cards');

    const [attachment] = (await hub.call('GET', `/tasks/${task.id}/attachments`)).body;
    expect(attachment).toMatchObject({ description: 'A page with a blue header reading "Shop" and three product cards.', description_model: 'gemma3:4b' });
    expect((await hub.call('GET', `/tasks/${task.id}/context`)).body.attachments[0].description).toContain('blue header');

    // The words are kept: the preview and a second run ask no vision model again.
    ollama.chatRequests.length = 0;
    const preview = (await hub.call('POST', `/tasks/${task.id}/prompt`, {})).body;
    expect(preview.user).toContain('three product cards');
    ollama.script({ toolCalls: [{ name: 'finish', arguments: { summary: 'Still done.' } }] });
    const again = (await hub.call('POST', `/tasks/${task.id}/trigger`, {})).body;
    expect((await hub.ended(again.id)).status).toBe('succeeded');
    expect(requests().map((request) => request.model)).toEqual(['qwen2.5-coder:3b']);
  });

  it('does not show the vision model an attachment that only claims to be an image', async () => {
    const task = (await hub.call('POST', '/tasks', { project_id: projectId, title: 'Check the notes' })).body;
    await uploadParts(hub, task.id, [{ field: 'file', fileName: 'notes.png', content: Buffer.from('just some text'), contentType: 'image/png' }]);
    ollama.chatRequests.length = 0;
    const preview = (await hub.call('POST', `/tasks/${task.id}/prompt`, {})).body;
    expect(preview.warning).toContain('notes.png was not shown to the vision model: it is not a PNG, JPEG, WebP or GIF image');
    expect(requests()).toEqual([]);
  });
});
