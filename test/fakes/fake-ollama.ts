import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';
import { pieces, readJson, sendJson, sleep, type ScriptedReply } from './scripted-reply.js';

export interface FakeOllamaModel {
  name: string;
  parameter_size?: string;
  /** What /api/show reports; default completion + tools. */
  capabilities?: string[];
  contextLength?: number;
}

/**
 * A stand-in for an Ollama server speaking the documented wire shapes (docs/api.md): /api/tags,
 * /api/version, /api/show and /api/chat, streaming (NDJSON) and not. Each /api/chat call takes
 * the next scripted reply; with none left it answers 500, so a test that under-scripts fails.
 */
export class FakeOllama {
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  /** Bodies of the /api/chat requests, in order. */
  readonly chatRequests: Record<string, unknown>[] = [];
  models: FakeOllamaModel[] = [{ name: 'qwen2.5-coder:3b', capabilities: ['completion', 'tools'], contextLength: 32768 }];
  /** /api/chat requests whose client went away before the reply ended (a cancelled run). */
  abandonedChats = 0;
  /** When set, every request answers this status with an Ollama-style error body. */
  failWith: number | undefined;
  /** When set, /api/tags and /api/show never answer (a stuck server). */
  hangInfo = false;
  /** Models /api/pull can fetch, with their download size; others are not in the registry. */
  pullable: Record<string, number> = {};
  /** The pause between /api/pull's progress lines (longer to watch a progress bar move). */
  pullStepMs = 5;
  /** Bodies of the /api/create requests, in order. */
  readonly createRequests: Record<string, unknown>[] = [];
  private readonly replies: ScriptedReply[] = [];
  private readonly http = new LoopbackServer();
  url = '';

  /** Queues replies for the next /api/chat calls. */
  script(...replies: ScriptedReply[]): this {
    this.replies.push(...replies);
    return this;
  }

  get pendingReplies(): number {
    return this.replies.length;
  }

  async start(): Promise<this> {
    this.url = `${await this.http.start((request, response) => this.handle(request, response))}`;
    return this;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    this.requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers });
    if (this.failWith) return sendJson(response, this.failWith, { error: 'internal error' });
    if (this.hangInfo && (request.url === '/api/tags' || request.url === '/api/show')) return; // never answers
    if (request.method === 'GET' && request.url === '/api/version') return sendJson(response, 200, { version: '0.12.6' });
    if (request.method === 'GET' && request.url === '/api/tags') return sendJson(response, 200, { models: this.models.map(tagOf) });
    if (request.method === 'POST' && request.url === '/api/show') {
      const body = await readJson(request);
      const model = this.models.find((entry) => entry.name === body.model);
      if (!model) return sendJson(response, 404, { error: `model '${String(body.model)}' not found` });
      return sendJson(response, 200, {
        modelfile: '# Modelfile',
        parameters: 'stop "<|im_end|>"',
        template: '{{ .Prompt }}',
        details: { format: 'gguf', family: 'qwen2', parameter_size: model.parameter_size ?? '3.1B', quantization_level: 'Q4_K_M' },
        model_info: { 'general.architecture': 'qwen2', 'qwen2.context_length': model.contextLength ?? 32768, 'qwen2.embedding_length': 2048 },
        capabilities: model.capabilities ?? ['completion', 'tools'],
      });
    }
    if (request.method === 'POST' && request.url === '/api/pull') return this.pull(await readJson(request), response);
    if (request.method === 'POST' && request.url === '/api/create') return this.create(await readJson(request), response);
    if (request.method === 'POST' && request.url === '/api/chat') {
      const body = await readJson(request);
      this.chatRequests.push(body);
      response.once('close', () => {
        if (!response.writableFinished) this.abandonedChats++;
      });
      if (!this.models.some((entry) => entry.name === body.model)) {
        return sendJson(response, 404, { error: `model "${String(body.model)}" not found, try pulling it first` });
      }
      const reply = this.replies.shift();
      if (!reply) return sendJson(response, 500, { error: 'the fake Ollama has no scripted reply left' });
      return this.answer(reply, body, response);
    }
    return sendJson(response, 404, { error: `unknown route ${request.method} ${request.url}` });
  }

  /** /api/pull as Ollama streams it: the manifest, each layer's bytes, the checks, then success (or an error line). */
  private async pull(body: Record<string, unknown>, response: ServerResponse) {
    const name = String(body.model ?? body.name);
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const send = (line: Record<string, unknown>) => response.write(`${JSON.stringify(line)}\n`);
    send({ status: 'pulling manifest' });
    const total = this.pullable[name];
    if (total === undefined) {
      send({ error: 'pull model manifest: file does not exist' });
      return response.end();
    }
    const digest = 'sha256:2bada8a7450677000f678be90653b85d364de7db25eb5ea54136ada5f3933730';
    for (const part of [0, 0.25, 0.5, 0.75, 1]) {
      send({ status: `pulling ${digest.slice(7, 19)}`, digest, total, completed: Math.round(total * part) });
      await sleep(this.pullStepMs);
    }
    for (const status of ['verifying sha256 digest', 'writing manifest', 'success']) send({ status });
    if (!this.models.some((model) => model.name === name)) this.models.push({ name });
    response.end();
  }

  /** /api/create from an existing model with parameters: the layers reused, the manifest written. */
  private create(body: Record<string, unknown>, response: ServerResponse) {
    this.createRequests.push(body);
    const from = this.models.find((model) => model.name === body.from);
    if (!from) return sendJson(response, 404, { error: `model '${String(body.from)}' not found` });
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const status of ['using existing layer sha256:2bada8a74506', 'creating new layer sha256:5f1b6d0d7b29', 'writing manifest', 'success']) response.write(`${JSON.stringify({ status })}\n`);
    const parameters = (body.parameters ?? {}) as { num_ctx?: number };
    this.models.push({ ...from, name: String(body.model), ...(parameters.num_ctx !== undefined && { contextLength: parameters.num_ctx }) });
    response.end();
  }

  private async answer(reply: ScriptedReply, body: Record<string, unknown>, response: ServerResponse) {
    const model = String(body.model);
    if (reply.kind === 'http-error') return sendJson(response, reply.status, { error: reply.message }, reply.headers);
    if (reply.kind === 'hang' && reply.when === 'before-headers') return; // never answers
    if (reply.kind === 'raw') {
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/x-ndjson' });
      for (const line of reply.lines) response.write(`${line}\n`);
      return response.end();
    }
    const chunk = (message: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: '', ...message },
      done: false,
      ...extra,
    });
    if (reply.kind === 'hang') {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.write(`${JSON.stringify(chunk({ content: 'Let me' }))}\n`);
      return; // and nothing more
    }

    const lines: Record<string, unknown>[] = [];
    for (const part of pieces(reply.thinking ?? '', reply.chunkSize ?? 8)) lines.push(chunk({ thinking: part }));
    for (const part of pieces(reply.text ?? '', reply.chunkSize ?? 8)) lines.push(chunk({ content: part }));
    for (const [index, call] of (reply.toolCalls ?? []).entries()) {
      lines.push(chunk({ tool_calls: [{ ...(call.id ? { id: call.id } : {}), function: { index, name: call.name, arguments: call.arguments } }] }));
    }
    const done = {
      model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: reply.finishReason ?? 'stop',
      total_duration: 4_935_886_791,
      load_duration: 534_986_708,
      prompt_eval_count: reply.promptTokens ?? 26,
      prompt_eval_duration: 107_345_000,
      eval_count: reply.completionTokens ?? 237,
      eval_duration: 4_289_432_000,
    };

    if (body.stream === false) {
      const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? '' };
      if (reply.thinking) message.thinking = reply.thinking;
      if (reply.toolCalls?.length) message.tool_calls = reply.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } }));
      await sleep(reply.firstByteDelayMs ?? 0);
      return sendJson(response, 200, { ...done, message });
    }
    await sleep(reply.firstByteDelayMs ?? 0);
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const line of [...lines, done]) {
      response.write(`${JSON.stringify(line)}\n`);
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    }
    response.end();
  }

  stop(): Promise<void> {
    return this.http.stop();
  }
}

function tagOf(model: FakeOllamaModel) {
  return {
    name: model.name,
    model: model.name,
    modified_at: '2026-11-01T10:00:00.000000000Z',
    size: 1_929_912_432,
    digest: 'f6daf2b25194a4d0b8b0f1ea0a3f8e6b7d2b0f6c1a4d7e8f9a0b1c2d3e4f5a6b',
    details: {
      parent_model: '',
      format: 'gguf',
      family: 'qwen2',
      families: ['qwen2'],
      parameter_size: model.parameter_size ?? '3.1B',
      quantization_level: 'Q4_K_M',
    },
  };
}
