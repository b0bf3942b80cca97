import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiCompatibleProvider } from '../../../src/agent/llm/openai/openai-provider.js';
import type { LlmError } from '../../../src/agent/llm/llm-error.js';
import { FakeOpenAi } from '../../fakes/fake-openai.js';
import { closedPort, collect, failure, fastTimeouts, quickRetry, textOf } from './collect.js';

const model = 'qwen2.5-coder-3b-instruct';
const user = [{ role: 'user' as const, content: 'Create hello.txt' }];

describe('OpenAI-compatible provider', () => {
  let server: FakeOpenAi;
  let provider: OpenAiCompatibleProvider;

  beforeAll(async () => {
    server = await new FakeOpenAi().start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    server.chatRequests.length = 0;
    server.authorizations.length = 0;
    server.quirks = {};
    server.apiKey = undefined;
    provider = new OpenAiCompatibleProvider({ baseUrl: server.baseUrl, timeouts: fastTimeouts, retry: quickRetry });
  });

  it('streams text and reads the usage chunk', async () => {
    server.script({ text: 'Hello from an OpenAI-style server', promptTokens: 300, completionTokens: 12 });
    const events = await collect(provider.chat({ model, messages: user }));
    expect(textOf(events)).toBe('Hello from an OpenAI-style server');
    expect(events.at(-2)).toEqual({ type: 'usage', promptTokens: 300, completionTokens: 12 });
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'stop' });
    expect(server.chatRequests[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('assembles tool-call argument deltas into whole calls', async () => {
    server.script({
      toolCalls: [
        { name: 'write', arguments: { path: 'index.html', content: '<h1>Hello "World"</h1>\n' } },
        { name: 'read', arguments: { path: 'README.md' } },
      ],
    });
    const events = await collect(provider.chat({ model, messages: user }));
    const calls = events.flatMap((event) => (event.type === 'tool-call' ? [event.call] : []));
    expect(calls).toEqual([
      { id: 'call_0_fake', name: 'write', arguments: { path: 'index.html', content: '<h1>Hello "World"</h1>\n' } },
      { id: 'call_1_fake', name: 'read', arguments: { path: 'README.md' } },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'finish', reason: 'tool-calls', providerReason: 'tool_calls' });
  });

  it('tells parallel calls apart by id when a server reuses index 0', async () => {
    server.quirks = { reuseIndexZero: true, resendId: true };
    server.script({ toolCalls: [{ name: 'read', arguments: { path: 'a.ts' } }, { name: 'read', arguments: { path: 'b.ts' } }] });
    const calls = (await collect(provider.chat({ model, messages: user }))).flatMap((event) => (event.type === 'tool-call' ? [event.call] : []));
    expect(calls.map((call) => call.arguments)).toEqual([{ path: 'a.ts' }, { path: 'b.ts' }]);
  });

  it('accepts a stream without usage or [DONE] once it has a finish reason', async () => {
    server.quirks = { omitUsage: true, omitDone: true };
    server.script({ text: 'short' });
    const events = await collect(provider.chat({ model, messages: user }));
    expect(textOf(events)).toBe('short');
    expect(events.at(-2)).toEqual({ type: 'usage', promptTokens: 0, completionTokens: 0 });
  });

  it('sends the API key, tools and the history in the documented shape', async () => {
    server.apiKey = 'sk-test-123456';
    const keyed = new OpenAiCompatibleProvider({ baseUrl: server.baseUrl, apiKey: 'sk-test-123456', timeouts: fastTimeouts, retry: quickRetry });
    server.script({ text: 'ok' });
    await collect(
      keyed.chat({
        model,
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'read', arguments: { path: 'a' } }] },
          { role: 'tool', content: '1: a', toolName: 'read', toolCallId: 'c1' },
        ],
        tools: [{ name: 'read', description: 'Read', parameters: { type: 'object' } }],
        maxOutputTokens: 1000,
      }),
    );
    expect(server.authorizations.at(-1)).toBe('Bearer sk-test-123456');
    const body = server.chatRequests[0]!;
    expect(body).toMatchObject({ max_tokens: 1000, tools: [{ type: 'function', function: { name: 'read' } }] });
    expect(body.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } }] },
      { role: 'tool', content: '1: a', tool_call_id: 'c1' },
    ]);
  });

  it('says to check OPENAI_API_KEY when the key is refused', async () => {
    server.apiKey = 'sk-right-123456';
    const { error } = await failure(provider.chat({ model, messages: user }));
    expect(error.code).toBe('llm_unauthorized');
    expect(error.message).toContain('OPENAI_API_KEY');
    expect(error.message).toContain('Incorrect API key');
  });

  it('names a model the server does not serve', async () => {
    const { error } = await failure(provider.chat({ model: 'gpt-9', messages: user }));
    expect(error.code).toBe('llm_model_not_found');
    expect(error.message).toContain('gpt-9');
  });

  it('says the base URL is probably wrong when the route is missing', async () => {
    const wrong = new OpenAiCompatibleProvider({ baseUrl: server.url, timeouts: fastTimeouts, retry: quickRetry });
    const { error } = await failure(wrong.chat({ model, messages: user }));
    expect(error.code).toBe('llm_bad_request');
    expect(error.message).toContain('/v1');
  });

  it('explains a refused connection and names OPENAI_BASE_URL', async () => {
    const offline = new OpenAiCompatibleProvider({ baseUrl: `http://127.0.0.1:${await closedPort()}/v1`, timeouts: fastTimeouts, retry: quickRetry });
    const { error } = await failure(offline.chat({ model, messages: user }));
    expect(error.code).toBe('llm_unreachable');
    expect(error.message).toContain('OPENAI_BASE_URL');
  });

  it('retries a 503 before any output', async () => {
    server.script({ kind: 'http-error', status: 503, message: 'overloaded' }, { text: 'fine' });
    expect(textOf(await collect(provider.chat({ model, messages: user })))).toBe('fine');
    expect(server.chatRequests).toHaveLength(2);
  });

  it('honours Retry-After on a 429, within its cap', async () => {
    server.script({ kind: 'http-error', status: 429, message: 'slow down', headers: { 'retry-after': '0.3' } }, { text: 'after the wait' });
    const started = Date.now();
    const bounded = new OpenAiCompatibleProvider({ baseUrl: server.baseUrl, timeouts: fastTimeouts, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 1000 } });
    expect(textOf(await collect(bounded.chat({ model, messages: user })))).toBe('after the wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('ends with the server message on a mid-stream error event', async () => {
    server.script({ kind: 'raw', lines: [JSON.stringify({ choices: [{ index: 0, delta: { content: 'Part' } }] }), JSON.stringify({ error: { message: 'context length exceeded' } })] });
    const { error, received } = await failure(provider.chat({ model, messages: user }));
    expect(textOf(received)).toBe('Part');
    expect(error.code).toBe('llm_stream_error');
    expect(error.message).toContain('context length exceeded');
    expect(server.chatRequests).toHaveLength(1);
  });

  it('refuses an event that is not JSON', async () => {
    server.script({ kind: 'raw', lines: ['{"choices": ['] });
    const { error } = await failure(provider.chat({ model, messages: user }));
    expect(error.code).toBe('llm_bad_response');
  });

  it('fails a stream cut before any finish reason', async () => {
    server.script({ kind: 'raw', lines: [JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hal' } }] })] });
    const { error } = await failure(provider.chat({ model, messages: user }));
    expect(error.code).toBe('llm_stream_error');
  });

  it('times out a server that never answers and one that stalls midway', async () => {
    const strict = new OpenAiCompatibleProvider({ baseUrl: server.baseUrl, timeouts: { ...fastTimeouts, firstTokenMs: 300, idleMs: 300 }, retry: quickRetry });
    server.script({ kind: 'hang', when: 'before-headers' }, { kind: 'hang', when: 'after-first-chunk' });
    expect((await failure(strict.chat({ model, messages: user }))).error.code).toBe('llm_first_token_timeout');
    expect((await failure(strict.chat({ model, messages: user }))).error.code).toBe('llm_idle_timeout');
  });

  it('reads the context window vLLM reports, and lists models', async () => {
    server.models = [{ id: model, max_model_len: 32768 }, { id: 'other' }];
    expect(await provider.describeModel(model)).toEqual({ name: model, contextLength: 32768 });
    expect((await provider.listModels()).map((entry) => entry.name)).toEqual([model, 'other']);
    server.models = [{ id: model }];
  });

  it('describes a model by its name when /models does not answer in time, and lists nothing but says why', async () => {
    const quick = new OpenAiCompatibleProvider({ baseUrl: server.baseUrl, timeouts: { ...fastTimeouts, firstTokenMs: 60_000, totalMs: 120_000 }, retry: quickRetry, infoWaitMs: 300 });
    server.hangModels = true;
    try {
      expect(await quick.describeModel(model)).toEqual({ name: model });
      const error = (await quick.listModels().then(
        () => undefined,
        (caught: unknown) => caught,
      )) as LlmError;
      expect(error.code).toBe('llm_first_token_timeout');
      expect(error.message).toContain('check that it is running and not stuck');
    } finally {
      server.hangModels = false;
    }
  });
});
