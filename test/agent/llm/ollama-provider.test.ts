import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LlmError } from '../../../src/agent/llm/llm-error.js';
import { OllamaProvider } from '../../../src/agent/llm/ollama/ollama-provider.js';
import { FakeOllama } from '../../fakes/fake-ollama.js';
import { closedPort, collect, failure, fastTimeouts, quickRetry, textOf } from './collect.js';

const model = 'qwen2.5-coder:3b';
const user = [{ role: 'user' as const, content: 'Create hello.txt' }];

describe('Ollama provider', () => {
  let ollama: FakeOllama;
  let provider: OllamaProvider;
  const retries: string[] = [];

  beforeAll(async () => {
    ollama = await new FakeOllama().start();
  });
  afterAll(() => ollama.stop());
  beforeEach(() => {
    ollama.chatRequests.length = 0;
    retries.length = 0;
    ollama.models = [
      { name: model, capabilities: ['completion', 'tools'], contextLength: 32768 },
      { name: 'qwen3:4b', capabilities: ['completion', 'tools', 'thinking'], contextLength: 40960 },
      { name: 'gemma3:4b', capabilities: ['completion', 'vision'], contextLength: 131072 },
    ];
    provider = new OllamaProvider({ baseUrl: ollama.url, timeouts: fastTimeouts, retry: quickRetry, onRetry: (message) => retries.push(message) });
  });

  it('streams text, then usage and the finish reason', async () => {
    ollama.script({ text: 'Hello there, world!', promptTokens: 120, completionTokens: 7 });
    const events = await collect(provider.chat({ model, messages: user }));
    expect(textOf(events)).toBe('Hello there, world!');
    expect(events.filter((event) => event.type === 'text').length).toBeGreaterThan(1);
    expect(events.at(-2)).toEqual({ type: 'usage', promptTokens: 120, completionTokens: 7 });
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'stop', providerReason: 'stop' });
  });

  it('passes native tool calls through with their arguments as objects', async () => {
    ollama.script({ toolCalls: [{ name: 'write', arguments: { path: 'hello.txt', content: 'hi\n' } }] });
    const events = await collect(provider.chat({ model, messages: user }));
    const calls = events.filter((event) => event.type === 'tool-call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ call: { name: 'write', arguments: { path: 'hello.txt', content: 'hi\n' } } });
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'tool-calls' });
  });

  it('sends num_ctx, think, tools and images in the documented shape', async () => {
    ollama.script({ text: 'ok' });
    await collect(
      provider.chat({
        model,
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'look', images: ['data:image/png;base64,iVBORw0KGgo='] },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'read', arguments: { path: 'a' } }] },
          { role: 'tool', content: '1: a', toolName: 'read', toolCallId: 'c1' },
        ],
        tools: [{ name: 'read', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }],
        numCtx: 16384,
        maxOutputTokens: 4096,
        think: false,
        keepAlive: '30m',
      }),
    );
    const body = ollama.chatRequests[0]!;
    expect(body).toMatchObject({ model, stream: true, think: false, keep_alive: '30m', options: { num_ctx: 16384, num_predict: 4096 } });
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'read', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } }]);
    const messages = body.messages as Record<string, unknown>[];
    expect(messages[1]).toEqual({ role: 'user', content: 'look', images: ['iVBORw0KGgo='] });
    expect(messages[2]).toEqual({ role: 'assistant', content: '', tool_calls: [{ function: { name: 'read', arguments: { path: 'a' } } }] });
    expect(messages[3]).toEqual({ role: 'tool', content: '1: a', tool_name: 'read' });
  });

  it('reports thinking as reasoning, not as text', async () => {
    ollama.script({ thinking: 'I should write the file.', text: 'Done.' });
    const events = await collect(provider.chat({ model: 'qwen3:4b', messages: user }));
    expect(textOf(events)).toBe('Done.');
    expect(events.filter((event) => event.type === 'reasoning').map((event) => (event as { text: string }).text).join('')).toBe('I should write the file.');
  });

  it('reads capabilities and the context length from /api/show', async () => {
    expect(await provider.describeModel('qwen3:4b')).toEqual({ name: 'qwen3:4b', tools: true, vision: false, thinking: true, contextLength: 40960 });
    expect(await provider.describeModel('gemma3:4b')).toMatchObject({ tools: false, vision: true });
  });

  it('lists the models from /api/tags', async () => {
    expect((await provider.listModels()).map((entry) => entry.name)).toEqual([model, 'qwen3:4b', 'gemma3:4b']);
  });

  it('gives up on a stuck server asking about models after a short wait, not the model-loading timeout', async () => {
    const stuck = new OllamaProvider({ baseUrl: ollama.url, timeouts: { ...fastTimeouts, firstTokenMs: 60_000, totalMs: 120_000 }, retry: quickRetry, infoWaitMs: 300 });
    ollama.hangInfo = true;
    try {
      for (const question of [() => stuck.describeModel(model), () => stuck.listModels()]) {
        const error = (await question().then(
          () => undefined,
          (caught: unknown) => caught,
        )) as LlmError;
        expect(error).toBeInstanceOf(LlmError);
        expect(error.code).toBe('llm_first_token_timeout');
        expect(error.message).toMatch(/check that it is running and not stuck/);
        expect(error.message).not.toMatch(/still be loading/);
      }
    } finally {
      ollama.hangInfo = false;
    }
  });

  it('says to pull a model the server does not have', async () => {
    const { error } = await failure(provider.chat({ model: 'llama9:70b', messages: user }));
    expect(error).toBeInstanceOf(LlmError);
    expect(error.code).toBe('llm_model_not_found');
    expect(error.message).toContain('ollama pull llama9:70b');
    await expect(provider.describeModel('llama9:70b')).rejects.toMatchObject({ code: 'llm_model_not_found' });
  });

  it('explains a refused connection and says how to start Ollama', async () => {
    const port = await closedPort();
    const offline = new OllamaProvider({ baseUrl: `http://127.0.0.1:${port}`, timeouts: fastTimeouts, retry: quickRetry });
    const { error } = await failure(offline.chat({ model, messages: user }));
    expect(error.code).toBe('llm_unreachable');
    expect(error.message).toMatch(/connection refused/);
    expect(error.message).toContain('ollama serve');
  });

  it('retries a 500 before any output and succeeds', async () => {
    ollama.script({ kind: 'http-error', status: 500, message: 'llama runner process has terminated' }, { text: 'recovered' });
    const events = await collect(provider.chat({ model, messages: user }));
    expect(textOf(events)).toBe('recovered');
    expect(retries).toHaveLength(1);
    expect(retries[0]).toContain('llama runner process has terminated');
  });

  it('retries a 429 and gives up after the last attempt with the server message', async () => {
    ollama.script(
      { kind: 'http-error', status: 429, message: 'server busy' },
      { kind: 'http-error', status: 429, message: 'server busy' },
      { kind: 'http-error', status: 429, message: 'server busy' },
    );
    const { error } = await failure(provider.chat({ model, messages: user }));
    expect(error.code).toBe('llm_rate_limited');
    expect(error.message).toContain('server busy');
    expect(ollama.chatRequests).toHaveLength(3);
  });

  it('does not retry a 400: the request itself is wrong', async () => {
    ollama.script({ kind: 'http-error', status: 400, message: 'registry.ollama.ai/library/x does not support tools' });
    const { error } = await failure(provider.chat({ model, messages: user }));
    expect(error.code).toBe('llm_bad_request');
    expect(error.message).toContain('does not support tools');
    expect(ollama.chatRequests).toHaveLength(1);
  });

  it('ends with the server message on a mid-stream error line, without retrying', async () => {
    ollama.script({
      kind: 'raw',
      lines: [JSON.stringify({ model, message: { role: 'assistant', content: 'Partial' }, done: false }), JSON.stringify({ error: 'an error was encountered while running the model: CUDA error' })],
    });
    const { error, received } = await failure(provider.chat({ model, messages: user }));
    expect(textOf(received)).toBe('Partial');
    expect(error.code).toBe('llm_stream_error');
    expect(error.message).toContain('CUDA error');
    expect(ollama.chatRequests).toHaveLength(1);
  });

  it('refuses a malformed line with a clear message', async () => {
    ollama.script({ kind: 'raw', lines: ['{"model": "x", "message": {"content": "a"'] });
    const { error } = await failure(provider.chat({ model, messages: user }));
    expect(error.code).toBe('llm_bad_response');
    expect(error.message).toMatch(/not JSON/);
  });

  it('fails a reply that ends without its final done line', async () => {
    ollama.script({ kind: 'raw', lines: [JSON.stringify({ model, message: { role: 'assistant', content: 'Hal' }, done: false })] });
    const { error } = await failure(provider.chat({ model, messages: user }));
    expect(error.code).toBe('llm_stream_error');
    expect(error.message).toMatch(/before it was complete/);
  });

  it('gives up on a server that never answers, after the first-token timeout', async () => {
    const slow = new OllamaProvider({ baseUrl: ollama.url, timeouts: { ...fastTimeouts, firstTokenMs: 300 }, retry: quickRetry });
    ollama.script({ kind: 'hang', when: 'before-headers' });
    const started = Date.now();
    const { error } = await failure(slow.chat({ model, messages: user }));
    expect(error.code).toBe('llm_first_token_timeout');
    expect(error.message).toContain('WFHUB_FIRST_TOKEN_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(ollama.chatRequests).toHaveLength(1);
  });

  it('waits for a slow first token within the timeout', async () => {
    const patient = new OllamaProvider({ baseUrl: ollama.url, timeouts: { ...fastTimeouts, firstTokenMs: 2000, idleMs: 200 }, retry: quickRetry });
    ollama.script({ text: 'loaded', firstByteDelayMs: 600 });
    expect(textOf(await collect(patient.chat({ model, messages: user })))).toBe('loaded');
  });

  it('gives up on a reply that stalls midway, after the idle timeout', async () => {
    const stalling = new OllamaProvider({ baseUrl: ollama.url, timeouts: { ...fastTimeouts, idleMs: 300 }, retry: quickRetry });
    ollama.script({ kind: 'hang', when: 'after-first-chunk' });
    const { error, received } = await failure(stalling.chat({ model, messages: user }));
    expect(textOf(received)).toBe('Let me');
    expect(error.code).toBe('llm_idle_timeout');
  });

  it('stops a call that takes longer than the total timeout', async () => {
    const bounded = new OllamaProvider({ baseUrl: ollama.url, timeouts: { ...fastTimeouts, totalMs: 500 }, retry: quickRetry });
    ollama.script({ text: 'a long reply streamed slowly', chunkSize: 2, chunkDelayMs: 100 });
    const { error } = await failure(bounded.chat({ model, messages: user }));
    expect(error.code).toBe('llm_call_timeout');
  });

  it('stops at once when cancelled', async () => {
    const controller = new AbortController();
    ollama.script({ kind: 'hang', when: 'before-headers' });
    setTimeout(() => controller.abort(), 100);
    const { error } = await failure(provider.chat({ model, messages: user, signal: controller.signal }));
    expect(error.code).toBe('llm_cancelled');
  });

  it('answers the non-streaming shape too (fake speaks both)', async () => {
    ollama.script({ text: 'whole' });
    const response = await fetch(`${ollama.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model, messages: user, stream: false }) });
    expect(await response.json()).toMatchObject({ message: { role: 'assistant', content: 'whole' }, done: true });
  });
});
