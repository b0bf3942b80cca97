import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOllama } from '../fakes/fake-ollama.js';
import { screenshotPath } from '../helpers/browser.js';
import { startBrowserHub, type BrowserHub } from '../helpers/browser-hub.js';
import type { TestHub } from '../helpers/test-hub.js';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(base64: string): { width: number; height: number } {
  const bytes = Buffer.from(base64, 'base64');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('the web UI in Chromium: chat with the agent', () => {
  let setup: BrowserHub | undefined;
  let ollama: FakeOllama;
  let hub: TestHub;
  let page: Page;
  let base: string;
  let projectId: number;

  beforeAll(async () => {
    setup = await startBrowserHub(
      {},
      {
        prepare: (fake) => {
          fake.models.push({ name: 'qwen3:4b', capabilities: ['completion', 'tools'], contextLength: 32768 });
          fake.models.push({ name: 'gemma3:4b', capabilities: ['completion', 'vision'], contextLength: 8192 });
        },
      },
    );
    ({ ollama, hub, page, base } = setup);
    projectId = (await hub.call('POST', '/projects', { name: 'Shop', workspace_path: 'shop' })).body.id;
  });
  afterAll(async () => {
    await setup?.close();
  });

  const panel = () => page.getByRole('dialog', { name: 'Chat with the agent' });

  it('sends a message with an image scaled down to 1024 px, streams the answer, and keeps the conversation', async () => {
    await page.goto(`${base}/#/projects/${projectId}`);
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await panel().waitFor();
    expect(page.url()).toMatch(new RegExp(`#/projects/${projectId}/chat$`));

    // A 2048×1024 screenshot, drawn by the browser itself.
    const big = await page.evaluate<string>(`(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 2048;
      canvas.height = 1024;
      const context = canvas.getContext('2d');
      context.fillStyle = '#c00';
      context.fillRect(0, 0, 2048, 1024);
      context.fillStyle = '#fff';
      context.font = '120px sans-serif';
      context.fillText('Invalid password', 100, 500);
      return canvas.toDataURL('image/png').split(',')[1];
    })()`);
    await panel().getByLabel('Attach images').setInputFiles({ name: 'login.png', mimeType: 'image/png', buffer: Buffer.from(big, 'base64') });
    const thumb = panel().getByRole('img', { name: 'login.png' });
    await thumb.waitFor();
    expect(await thumb.getAttribute('title')).toBe('1024×512');

    await panel().getByLabel('Model', { exact: true }).selectOption('qwen3:4b');
    ollama.script(
      { text: 'A login form with a red error: Invalid password.' },
      { text: 'The error comes from the password check; I will note it.', chunkSize: 5, chunkDelayMs: 50, toolCalls: [{ name: 'write', arguments: { path: 'notes.md', content: '- fix the password check\n' } }] },
      { firstByteDelayMs: 800, toolCalls: [{ name: 'finish', arguments: { summary: 'Noted the password check in notes.md.' } }] },
    );
    await panel().getByLabel('Message', { exact: true }).fill('Why does this error show?');
    await panel().getByLabel('Message', { exact: true }).press('Enter');
    const live = panel().getByRole('listitem', { name: 'Agent, answering' });
    await live.getByText('The error comes from the password check; I will note it.').waitFor();
    await live.getByRole('listitem', { name: 'Tool call write' }).waitFor();
    // The message shows once, kept or not yet.
    expect(await panel().getByRole('list', { name: 'Messages' }).getByRole('listitem', { name: 'You', exact: true }).count()).toBe(1);
    await page.screenshot({ path: screenshotPath('chat'), fullPage: true });
    await expect.poll(() => live.count(), { timeout: 15_000 }).toBe(0);

    const messages = panel().getByRole('list', { name: 'Messages' });
    expect(await messages.getByRole('listitem', { name: 'You', exact: true }).textContent()).toContain('Why does this error show?');
    expect(await messages.getByRole('listitem', { name: 'You', exact: true }).textContent()).toContain('A login form with a red error');
    expect(await messages.getByRole('listitem', { name: 'Agent', exact: true }).textContent()).toContain('Noted the password check in notes.md.');
    expect(await messages.getByRole('listitem', { name: 'Agent', exact: true }).textContent()).toContain('notes.md');

    const [vision, working] = ollama.chatRequests as { model: string; messages: { images?: string[] }[] }[];
    expect(vision!.model).toBe('gemma3:4b');
    expect(pngSize(vision!.messages.at(-1)!.images![0]!)).toEqual({ width: 1024, height: 512 });
    expect(working!.model).toBe('qwen3:4b');
    expect(await panel().getByLabel('Message', { exact: true }).inputValue()).toBe('');
    expect(await panel().getByRole('list', { name: 'Images to send' }).count()).toBe(0);
  });

  it('continues the same conversation, and remembers the model on the next visit', async () => {
    ollama.script({ toolCalls: [{ name: 'finish', arguments: { summary: 'Yes, notes.md has it.' } }] });
    await panel().getByLabel('Message', { exact: true }).fill('Is it noted?');
    await panel().getByRole('button', { name: 'Send' }).click();
    const messages = panel().getByRole('list', { name: 'Messages' });
    await messages.getByRole('listitem', { name: 'Agent', exact: true }).getByText('Yes, notes.md has it.').waitFor();
    const conversations = (await hub.call('GET', `/projects/${projectId}/chats`)).body;
    expect(conversations).toHaveLength(1);
    expect((await hub.call('GET', `/chats/${conversations[0].id}`)).body.messages).toHaveLength(4);

    await page.reload();
    await panel().waitFor();
    await expect.poll(() => panel().getByLabel('Model', { exact: true }).inputValue()).toBe('qwen3:4b');
    // The earlier conversation can be picked up again.
    await panel().getByLabel('Conversation').selectOption(String(conversations[0].id));
    await panel().getByRole('list', { name: 'Messages' }).getByRole('listitem', { name: 'Agent', exact: true }).getByText('Yes, notes.md has it.').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => panel().count()).toBe(0);
  });

  it('shows a turn the model server failed as failed, with the reason', async () => {
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    ollama.failWith = 500;
    try {
      await panel().getByLabel('Message', { exact: true }).fill('Anything?');
      await panel().getByRole('button', { name: 'Send' }).click();
      const answer = panel().getByRole('list', { name: 'Messages' }).getByRole('listitem', { name: 'Agent', exact: true }).last();
      await answer.getByText('failed', { exact: true }).waitFor();
      expect(await answer.textContent()).toMatch(/model server|Ollama|500/i);
    } finally {
      ollama.failWith = undefined;
    }
  });

  it('says how to get a remembered model the model server no longer has', async () => {
    await page.evaluate(`localStorage.setItem('wfhub.chat.model', 'llava:99b')`);
    await page.reload();
    await panel().waitFor();
    // Still offered, so the user sees which one is chosen.
    expect(await panel().getByLabel('Model', { exact: true }).inputValue()).toBe('llava:99b');
    await panel().getByLabel('Message', { exact: true }).fill('Look at this');
    await panel().getByRole('button', { name: 'Send' }).click();
    const answer = panel().getByRole('list', { name: 'Messages' }).getByRole('listitem', { name: 'Agent', exact: true }).last();
    await answer.getByText('failed', { exact: true }).waitFor();
    expect(await answer.textContent()).toContain('ollama pull llava:99b');
  });
});
