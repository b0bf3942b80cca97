import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OllamaProvider } from '../../../src/agent/llm/ollama/ollama-provider.js';
import type { AgentEvent } from '../../../src/agent/loop/agent-events.js';
import { runAgent, type AgentOptions } from '../../../src/agent/loop/agent-loop.js';
import { workspaceTools } from '../../../src/agent/tools/workspace-tools.js';
import { FakeOllama } from '../../fakes/fake-ollama.js';
import type { ScriptedReply } from '../../fakes/scripted-reply.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { toolContext } from '../tools/tool-context.js';
import { fastTimeouts, quickRetry } from '../llm/collect.js';

const model = 'qwen2.5-coder:3b';
const html = '<!doctype html>\n<h1 class="hello">Hello World</h1>\n<style>.hello { animation: pulse 1s infinite; }</style>\n';

describe('the agent loop', () => {
  let ollama: FakeOllama;
  let workspace: { dir: string; cleanup: () => void };
  let events: AgentEvent[];

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
  });
  afterAll(() => ollama.stop());
  beforeEach(() => {
    workspace = tempDir('wfhub-agent-');
    events = [];
    ollama.chatRequests.length = 0;
    ollama.models = [
      { name: model, capabilities: ['completion', 'tools'], contextLength: 32768 },
      { name: 'plain:1b', capabilities: ['completion'], contextLength: 8192 },
      { name: 'qwen3:4b', capabilities: ['completion', 'tools', 'thinking'], contextLength: 40960 },
    ];
  });
  afterEach(() => {
    expect(ollama.pendingReplies, 'every scripted reply was used').toBe(0);
    workspace.cleanup();
  });

  function options(overrides: Partial<AgentOptions> = {}): AgentOptions {
    const context = toolContext(workspace.dir);
    return {
      provider: new OllamaProvider({ baseUrl: ollama.url, timeouts: fastTimeouts, retry: quickRetry }),
      model,
      root: context.root,
      message: 'Create index.html with an animated Hello World',
      tools: workspaceTools(),
      sandbox: context.sandbox,
      numCtxCap: 16384,
      protocol: 'auto',
      limits: { maxSteps: 10, maxWallMs: 60_000 },
      onEvent: (event) => void events.push(event),
      ...overrides,
    };
  }

  const finish = (summary = 'Created index.html.'): Extract<ScriptedReply, { toolCalls?: unknown }> => ({ toolCalls: [{ name: 'finish', arguments: { summary } }] });
  const file = (name: string) => path.join(workspace.dir, name);

  it('writes a file with a native tool call and finishes with a summary, files and usage', async () => {
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: 'index.html', content: html } }], promptTokens: 900, completionTokens: 60 },
      { ...finish(), promptTokens: 1000, completionTokens: 20 },
    );
    const result = await runAgent(options());
    expect(readFileSync(file('index.html'), 'utf8')).toBe(html);
    expect(result).toMatchObject({
      status: 'succeeded',
      stop: { code: 'finished' },
      summary: 'Created index.html.',
      files_changed: ['index.html'],
      usage: { prompt_tokens: 1900, completion_tokens: 80, steps: 2, tool_calls: 2 },
      model,
      provider: 'ollama',
    });
  });

  const textForms: [string, string][] = [
    ['bare JSON in the content (qwen2.5-coder)', JSON.stringify({ name: 'write', arguments: { path: 'index.html', content: html } })],
    ['a <tool_call> tag after <think> (qwen3)', `<think>I need to create the file.</think>\n<tool_call>\n${JSON.stringify({ name: 'write', arguments: { path: 'index.html', content: html } })}\n</tool_call>`],
    ['a <function=...> block (qwen3-coder)', `I will create it.\n<function=write>\n<parameter=path>\nindex.html\n</parameter>\n<parameter=content>\n${html}\n</parameter>\n</function>`],
    ['[TOOL_CALLS] (mistral)', `[TOOL_CALLS][${JSON.stringify({ name: 'write', arguments: { path: 'index.html', content: html } })}]`],
    ['a fenced json block', `Here is the call:\n\`\`\`json\n${JSON.stringify({ name: 'write', arguments: { path: 'index.html', content: html } }, null, 2)}\n\`\`\``],
  ];
  for (const [form, text] of textForms) {
    it(`recovers a tool call sent as ${form}`, async () => {
      ollama.script({ text }, finish());
      const result = await runAgent(options());
      expect(result.status).toBe('succeeded');
      expect(readFileSync(file('index.html'), 'utf8')).toBe(html);
      expect(events.find((event) => event.type === 'tool.called')).toMatchObject({ name: 'write', recovered: true });
      // The recovered call is shown back to the model as a proper call.
      const history = ollama.chatRequests[1]!.messages as { role: string; tool_calls?: unknown[] }[];
      expect(history.find((message) => message.role === 'assistant')?.tool_calls).toHaveLength(1);
    });
  }

  it('uses the text protocol for a model without native tools', async () => {
    ollama.script({ text: `<function=write>\n<parameter=path>\nindex.html\n</parameter>\n<parameter=content>\n${html}\n</parameter>\n</function>` }, { text: '<function=finish>\n<parameter=summary>\nDone.\n</parameter>\n</function>' });
    const result = await runAgent(options({ model: 'plain:1b' }));
    expect(result).toMatchObject({ status: 'succeeded', summary: 'Done.' });
    expect(readFileSync(file('index.html'), 'utf8')).toBe(html);
    const first = ollama.chatRequests[0]!;
    expect(first.tools).toBeUndefined();
    expect((first.messages as { content: string }[])[0]!.content).toContain('<function=');
    expect(events[0]).toMatchObject({ type: 'run.started', protocol: 'text' });
    const second = ollama.chatRequests[1]!.messages as { role: string; content: string }[];
    expect(second.at(-1)).toMatchObject({ role: 'user' });
    expect(second.at(-1)!.content).toContain('<tool_result name="write">');
  });

  it('sends the same num_ctx on every call, capped by the model window, and think:false to thinking models', async () => {
    ollama.script({ toolCalls: [{ name: 'glob', arguments: { pattern: '*' } }] }, finish());
    await runAgent(options({ model: 'qwen3:4b', numCtxCap: 65536 }));
    const sent = ollama.chatRequests.map((request) => (request.options as { num_ctx: number }).num_ctx);
    expect(sent).toEqual([40960, 40960]);
    expect(ollama.chatRequests.every((request) => request.think === false)).toBe(true);
    // The model stays loaded for as long as the run may last (here its 60 s limit).
    expect(ollama.chatRequests.every((request) => request.keep_alive === '1m')).toBe(true);
  });

  it('answers an invalid call with a format error the model can act on, and goes on', async () => {
    ollama.script({ toolCalls: [{ name: 'write', arguments: { file: 'index.html' } }] }, { toolCalls: [{ name: 'write', arguments: { path: 'index.html', content: html } }] }, finish());
    const result = await runAgent(options());
    expect(result.status).toBe('succeeded');
    const toolMessage = (ollama.chatRequests[1]!.messages as { role: string; content: string }[]).at(-1)!;
    expect(toolMessage.role).toBe('tool');
    expect(toolMessage.content).toMatch(/invalid arguments.*path/s);
    expect(events.filter((event) => event.type === 'run.warning')).toHaveLength(1);
  });

  it('ends the run after three malformed calls in a row', async () => {
    const broken: ScriptedReply = { text: '<tool_call>{"name": "write", "arguments": {"path": </tool_call>' };
    ollama.script(broken, { toolCalls: [{ name: 'wirte', arguments: {} }] }, { toolCalls: [{ name: 'read', arguments: {} }] });
    const result = await runAgent(options());
    expect(result).toMatchObject({ status: 'failed', stop: { code: 'format_errors' } });
    expect(result.stop.message).toMatch(/3 malformed tool calls in a row/);
    const reply = (ollama.chatRequests[2]!.messages as { content: string }[]).at(-1)!.content;
    expect(reply).toContain('There is no tool named "wirte"');
  });

  it('stops a model that repeats the same call three times', async () => {
    const same: ScriptedReply = { toolCalls: [{ name: 'read', arguments: { path: 'missing.txt' } }] };
    ollama.script(same, same, same);
    const result = await runAgent(options());
    expect(result).toMatchObject({ status: 'failed', stop: { code: 'repeated_call' } });
  });

  it('stops at the step limit', async () => {
    ollama.script({ toolCalls: [{ name: 'glob', arguments: { pattern: '*.a' } }] }, { toolCalls: [{ name: 'glob', arguments: { pattern: '*.b' } }] });
    const result = await runAgent(options({ limits: { maxSteps: 2, maxWallMs: 60_000 } }));
    expect(result).toMatchObject({ status: 'failed', stop: { code: 'step_limit' }, usage: { steps: 2 } });
  });

  it('stops when the token budget is spent', async () => {
    ollama.script({ toolCalls: [{ name: 'glob', arguments: { pattern: '*' } }], promptTokens: 3000, completionTokens: 100 });
    const result = await runAgent(options({ limits: { maxSteps: 10, maxWallMs: 60_000, tokenBudget: 2000 } }));
    expect(result).toMatchObject({ status: 'failed', stop: { code: 'token_budget' } });
  });

  it('stops at the time limit', async () => {
    let clock = 0;
    ollama.script({ toolCalls: [{ name: 'glob', arguments: { pattern: '*' } }] });
    const result = await runAgent(
      options({
        limits: { maxSteps: 10, maxWallMs: 1000 },
        now: () => (clock += 400),
      }),
    );
    expect(result).toMatchObject({ status: 'failed', stop: { code: 'time_limit' } });
  });

  it('takes a plain answer as the end when the work is done, but nudges a reply that only shows code', async () => {
    ollama.script({ text: 'Here you go:\n```html\n<h1>Hello</h1>\n```' }, { toolCalls: [{ name: 'write', arguments: { path: 'index.html', content: html } }] }, { text: 'I created index.html.' });
    const result = await runAgent(options());
    expect(result).toMatchObject({ status: 'succeeded', stop: { code: 'final_answer' }, summary: 'I created index.html.' });
    const nudge = (ollama.chatRequests[1]!.messages as { content: string }[]).at(-1)!.content;
    expect(nudge).toMatch(/did not call a tool/);
  });

  it('fails with the provider message when the model is missing', async () => {
    const result = await runAgent(options({ model: 'nope:1b' }));
    expect(result).toMatchObject({ status: 'failed', stop: { code: 'llm_model_not_found' } });
    expect(result.stop.message).toContain('ollama pull nope:1b');
    expect(events.at(-1)).toMatchObject({ type: 'run.failed' });
  });

  it('fails with a clear message when the server errors mid-stream', async () => {
    ollama.script({ kind: 'raw', lines: [JSON.stringify({ error: 'model runner has unexpectedly stopped' })] });
    const result = await runAgent(options());
    expect(result).toMatchObject({ status: 'failed', stop: { code: 'llm_stream_error' } });
    expect(result.stop.message).toContain('unexpectedly stopped');
  });

  it('is cancelled at once through its signal, even while waiting for the model', async () => {
    const controller = new AbortController();
    ollama.script({ kind: 'hang', when: 'before-headers' });
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const result = await runAgent(options({ signal: controller.signal }));
    expect(result.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(events.at(-1)).toMatchObject({ type: 'run.failed', result: { status: 'cancelled' } });
  });

  it('reports events in order: started, request, deltas, call, result, finished', async () => {
    ollama.script({ text: 'Writing.', toolCalls: [{ name: 'write', arguments: { path: 'a.txt', content: 'a\n' } }] }, finish());
    await runAgent(options());
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.finished');
    expect(types.slice(1, 5)).toEqual(['llm.request', 'llm.delta', 'llm.response', 'tool.called']);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.find((event) => event.type === 'tool.result')).toMatchObject({ name: 'write', ok: true, files_changed: ['a.txt'] });
  });

  it('keeps the prompt inside the window: the task stays, old tool outputs are collapsed', async () => {
    const big = Array.from({ length: 3000 }, (_, index) => `line ${index} of a large generated file with some text`).join('\n');
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) writeFileSync(file(name), big);
    ollama.models = [{ name: 'small:1b', capabilities: ['completion', 'tools'], contextLength: 4096 }];
    ollama.script(
      { toolCalls: [{ name: 'read', arguments: { path: 'a.txt' } }] },
      { toolCalls: [{ name: 'read', arguments: { path: 'b.txt' } }] },
      { toolCalls: [{ name: 'read', arguments: { path: 'c.txt' } }] },
      { toolCalls: [{ name: 'read', arguments: { path: 'd.txt' } }] },
      finish(),
    );
    const result = await runAgent(options({ model: 'small:1b' }));
    expect(result.status).toBe('succeeded');
    for (const request of ollama.chatRequests) {
      const messages = request.messages as { role: string; content: string }[];
      expect(messages[1]).toEqual({ role: 'user', content: 'Create index.html with an animated Hello World' });
      const characters = messages.reduce((sum, message) => sum + message.content.length, 0);
      // 4096 tokens at about 3 characters each: the prompt must stay well under the window.
      expect(characters).toBeLessThan(4096 * 3);
    }
    const requests = events.filter((event) => event.type === 'llm.request');
    expect(requests.some((event) => event.collapsed_outputs > 0 || event.dropped_messages > 0)).toBe(true);
  });

  it('refuses a tool call that escapes the workspace and tells the model why', async () => {
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: '../escaped.txt', content: 'x' } }] }, finish('Could not.'));
    await runAgent(options());
    expect(existsSync(path.join(workspace.dir, '..', 'escaped.txt'))).toBe(false);
    expect(events.find((event) => event.type === 'tool.result')).toMatchObject({ ok: false, code: 'outside_workspace' });
  });

  it('does not take finish as success when a call before it in the same reply failed', async () => {
    ollama.script(
      { toolCalls: [{ name: 'write', arguments: { path: '../escape.html', content: html } }, { name: 'finish', arguments: { summary: 'Created it.' } }] },
      { toolCalls: [{ name: 'write', arguments: { path: 'index.html', content: html } }, { name: 'finish', arguments: { summary: 'Created index.html.' } }] },
    );
    const result = await runAgent(options());
    expect(result).toMatchObject({ status: 'succeeded', summary: 'Created index.html.', files_changed: ['index.html'], usage: { steps: 2 } });
    const refused = events.find((event) => event.type === 'tool.result' && event.name === 'finish' && !event.ok);
    expect(refused).toMatchObject({ code: 'earlier_call_failed' });
  });

  it('stops a step that runs past the time limit, without waiting for it to end', async () => {
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const started = Date.now();
    const result = await runAgent(options({ limits: { maxSteps: 10, maxWallMs: 400 } }));
    expect(result).toMatchObject({ status: 'failed', stop: { code: 'time_limit', message: expect.stringContaining('0.4 s') } });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('tells the user at the start when commands run without a sandbox', async () => {
    ollama.script({ text: 'Nothing to do.' });
    await runAgent(options({ warnings: [{ code: 'no_sandbox', message: 'Commands run without a sandbox.' }] }));
    expect(events[1]).toMatchObject({ type: 'run.warning', code: 'no_sandbox' });
  });

  it('creates then edits a file through the text protocol, the edit as SEARCH/REPLACE blocks', async () => {
    const blocks = 'index.html\n```\n<<<<<<< SEARCH\n<h1 class="hello">Hello World</h1>\n=======\n<h1 class="hello">Hello, World!</h1>\n>>>>>>> REPLACE\n```';
    ollama.script(
      { text: `<function=write>\n<parameter=path>\nindex.html\n</parameter>\n<parameter=content>\n${html}\n</parameter>\n</function>` },
      { text: `<function=edit>\n<parameter=blocks>\n${blocks}\n</parameter>\n</function>` },
      { text: '<function=finish>\n<parameter=summary>\nDone.\n</parameter>\n</function>' },
    );
    const result = await runAgent(options({ model: 'plain:1b' }));
    expect(result).toMatchObject({ status: 'succeeded', files_changed: ['index.html'] });
    expect(readFileSync(file('index.html'), 'utf8')).toBe(html.replace('Hello World', 'Hello, World!'));
  });

  it('applies SEARCH/REPLACE blocks a model writes in its reply instead of calling a tool', async () => {
    writeFileSync(file('app.js'), 'const greeting = "hi";\nconsole.log(greeting);\n');
    ollama.script(
      { text: 'I will change the greeting.\n\napp.js\n```js\n<<<<<<< SEARCH\nconst greeting = "hi";\n=======\nconst greeting = "hello";\n>>>>>>> REPLACE\n```\n' },
      finish('Changed the greeting.'),
    );
    const result = await runAgent(options());
    expect(result).toMatchObject({ status: 'succeeded', files_changed: ['app.js'] });
    expect(readFileSync(file('app.js'), 'utf8')).toBe('const greeting = "hello";\nconsole.log(greeting);\n');
    expect(events.find((event) => event.type === 'tool.called')).toMatchObject({ name: 'edit', recovered: true });
  });
});
