import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';
import { pieces, readJson, sendJson, sleep, type ScriptedReply } from './scripted-reply.js';

/** Server quirks seen in the field (research: vLLM, llama.cpp, LM Studio). */
export interface OpenAiQuirks {
  /** Parallel calls all use index 0, told apart by a new id. */
  reuseIndexZero?: boolean;
  /** Every delta of a call repeats its id. */
  resendId?: boolean;
  /** No usage chunk even when asked. */
  omitUsage?: boolean;
  /** No `data: [DONE]` at the end. */
  omitDone?: boolean;
}

/**
 * A stand-in for an OpenAI-compatible server: `/v1/models` and `/v1/chat/completions`, streaming
 * (SSE with tool-call argument deltas, a usage chunk, `[DONE]`) and not. Scripted like FakeOllama.
 */
export class FakeOpenAi {
  readonly chatRequests: Record<string, unknown>[] = [];
  readonly authorizations: (string | undefined)[] = [];
  models: { id: string; max_model_len?: number }[] = [{ id: 'qwen2.5-coder-3b-instruct' }];
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey: string | undefined;
  quirks: OpenAiQuirks = {};
  /** When set, /v1/models never answers (a busy one-request-at-a-time server). */
  hangModels = false;
  private readonly replies: ScriptedReply[] = [];
  private readonly http = new LoopbackServer();
  url = '';

  script(...replies: ScriptedReply[]): this {
    this.replies.push(...replies);
    return this;
  }

  /** The base URL clients are given (…/v1). */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  async start(): Promise<this> {
    this.url = `${await this.http.start((request, response) => this.handle(request, response))}`;
    return this;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    this.authorizations.push(request.headers.authorization);
    if (this.apiKey && request.headers.authorization !== `Bearer ${this.apiKey}`) {
      return sendJson(response, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    if (this.hangModels && request.url === '/v1/models') return; // never answers
    if (request.method === 'GET' && request.url === '/v1/models') {
      return sendJson(response, 200, { object: 'list', data: this.models.map((model) => ({ object: 'model', owned_by: 'fake', created: 1731000000, ...model })) });
    }
    if (request.method === 'POST' && request.url === '/v1/chat/completions') {
      const body = await readJson(request);
      this.chatRequests.push(body);
      if (!this.models.some((model) => model.id === body.model)) {
        return sendJson(response, 404, { error: { message: `The model \`${String(body.model)}\` does not exist.`, type: 'invalid_request_error', code: 'model_not_found' } });
      }
      const reply = this.replies.shift();
      if (!reply) return sendJson(response, 500, { error: { message: 'the fake server has no scripted reply left', type: 'server_error' } });
      return this.answer(reply, body, response);
    }
    return sendJson(response, 404, { error: { message: `Unknown route ${request.method} ${request.url}`, type: 'invalid_request_error' } });
  }

  private async answer(reply: ScriptedReply, body: Record<string, unknown>, response: ServerResponse) {
    const model = String(body.model);
    const frame = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: 1731000000,
      model,
      choices,
      ...extra,
    });
    if (reply.kind === 'http-error') {
      return sendJson(response, reply.status, { error: { message: reply.message, type: 'server_error' } }, reply.headers);
    }
    if (reply.kind === 'hang' && reply.when === 'before-headers') return;
    const startSse = () => response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (reply.kind === 'raw') {
      response.writeHead(reply.status ?? 200, { 'content-type': 'text/event-stream' });
      for (const line of reply.lines) response.write(`data: ${line}\n\n`);
      return response.end();
    }
    if (reply.kind === 'hang') {
      startSse();
      response.write(`data: ${JSON.stringify(frame([{ index: 0, delta: { role: 'assistant', content: 'Let me' }, finish_reason: null }]))}\n\n`);
      return;
    }

    const calls = (reply.toolCalls ?? []).map((call, index) => ({ ...call, id: call.id ?? `call_${index}_fake` }));
    const finishReason = reply.finishReason ?? (calls.length ? 'tool_calls' : 'stop');
    const usage = { prompt_tokens: reply.promptTokens ?? 26, completion_tokens: reply.completionTokens ?? 237, total_tokens: (reply.promptTokens ?? 26) + (reply.completionTokens ?? 237) };

    if (body.stream !== true) {
      await sleep(reply.firstByteDelayMs ?? 0);
      const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null };
      if (calls.length) {
        message.tool_calls = calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } }));
      }
      return sendJson(response, 200, { id: 'chatcmpl-fake', object: 'chat.completion', created: 1731000000, model, choices: [{ index: 0, message, finish_reason: finishReason }], usage });
    }

    const frames: unknown[] = [frame([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])];
    for (const part of pieces(reply.thinking ?? '', reply.chunkSize ?? 8)) frames.push(frame([{ index: 0, delta: { reasoning: part }, finish_reason: null }]));
    for (const part of pieces(reply.text ?? '', reply.chunkSize ?? 8)) frames.push(frame([{ index: 0, delta: { content: part }, finish_reason: null }]));
    for (const [position, call] of calls.entries()) {
      const index = this.quirks.reuseIndexZero ? 0 : position;
      frames.push(frame([{ index: 0, delta: { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, finish_reason: null }]));
      for (const part of pieces(JSON.stringify(call.arguments), 7)) {
        const delta = { index, ...(this.quirks.resendId ? { id: call.id } : {}), function: { arguments: part } };
        frames.push(frame([{ index: 0, delta: { tool_calls: [delta] }, finish_reason: null }]));
      }
    }
    frames.push(frame([{ index: 0, delta: {}, finish_reason: finishReason }]));
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (streamOptions?.include_usage && !this.quirks.omitUsage) frames.push(frame([], { usage }));

    await sleep(reply.firstByteDelayMs ?? 0);
    startSse();
    for (const item of frames) {
      response.write(`data: ${JSON.stringify(item)}\n\n`);
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    }
    if (!this.quirks.omitDone) response.write('data: [DONE]\n\n');
    response.end();
  }

  stop(): Promise<void> {
    return this.http.stop();
  }
}
