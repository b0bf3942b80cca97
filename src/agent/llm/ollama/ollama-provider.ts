import { LlmError } from '../llm-error.js';
import { infoSlowHint, infoTimeouts, lines, requestJson, streamText } from '../http-stream.js';
import type { ChatMessage, FinishReason, LlmEvent, ToolCall } from '../llm-types.js';
import type { ChatRequest, LlmProvider, ModelInfo, ModelSummary, ProviderOptions } from '../provider.js';
import { retryAfterMs, retryingChat } from '../retry.js';
import { chatLine, errorBody, showResponse, tagsResponse } from './ollama-wire.js';

const unreachableHint = 'Is Ollama running? Start it with `ollama serve`, or set OLLAMA_HOST to where it listens.';

function errorText(body: string): string {
  try {
    const parsed = errorBody.safeParse(JSON.parse(body));
    if (parsed.success) return typeof parsed.data.error === 'string' ? parsed.data.error : JSON.stringify(parsed.data.error);
  } catch {
    // Not JSON: a proxy's HTML page, say. The status says enough.
  }
  return body.trim().slice(0, 300);
}

function stripDataUrl(image: string): string {
  const comma = image.indexOf(',');
  return image.startsWith('data:') && comma !== -1 ? image.slice(comma + 1) : image;
}

function toWireMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case 'user':
      return message.images?.length
        ? { role: 'user', content: message.content, images: message.images.map(stripDataUrl) }
        : { role: 'user', content: message.content };
    case 'assistant':
      return message.toolCalls?.length
        ? {
            role: 'assistant',
            content: message.content,
            tool_calls: message.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } })),
          }
        : { role: 'assistant', content: message.content };
    case 'tool':
      return { role: 'tool', content: message.content, tool_name: message.toolName };
    default:
      return { role: message.role, content: message.content };
  }
}

function parseArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? {};
  if (value.trim() === '') return {};
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** Ollama's native API (`/api/chat`, NDJSON streaming): the one that lets wfhub fix `num_ctx`. */
export class OllamaProvider implements LlmProvider {
  readonly kind = 'ollama';
  readonly baseUrl: string;
  private callCount = 0;

  constructor(private readonly options: ProviderOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  private get serverName() {
    return `Ollama at ${this.baseUrl}`;
  }

  private httpError(model: string | undefined) {
    return (status: number, body: string, headers: Headers): LlmError => {
      const detail = errorText(body);
      const url = this.baseUrl;
      if (status === 404 && !/model/i.test(detail)) {
        return new LlmError('llm_bad_request', `Nothing answers at ${url} the way Ollama does (404${detail ? `: ${detail}` : ''}). Check that OLLAMA_HOST points at Ollama.`, {
          status,
          url,
        });
      }
      if (status === 404 && model) {
        return new LlmError(
          'llm_model_not_found',
          `The model "${model}" is not on ${this.serverName}. Pull it with \`ollama pull ${model}\`, or choose another model.`,
          { status, url, model },
        );
      }
      if (status === 429) {
        return new LlmError('llm_rate_limited', `${this.serverName} is busy (429${detail ? `: ${detail}` : ''}). wfhub retries; try again later if it persists.`, {
          status,
          url,
          retryAfterMs: retryAfterMs(headers),
        });
      }
      if (status === 401 || status === 403) {
        return new LlmError('llm_unauthorized', `${this.serverName} refused the request (${status}${detail ? `: ${detail}` : ''}). Check the proxy or credentials in front of it.`, { status, url });
      }
      if (status >= 500) {
        return new LlmError('llm_server_error', `${this.serverName} failed (${status}${detail ? `: ${detail}` : ''}). Check Ollama's log; the model may not fit in memory.`, { status, url, model });
      }
      return new LlmError('llm_bad_request', `${this.serverName} refused the request (${status}${detail ? `: ${detail}` : ''}).`, { status, url, model });
    };
  }

  async listModels(signal?: AbortSignal): Promise<ModelSummary[]> {
    const body = await requestJson(`${this.baseUrl}/api/tags`, {
      method: 'GET',
      timeouts: infoTimeouts(this.options.timeouts, this.options.infoWaitMs),
      slowHint: infoSlowHint,
      observe: this.options.observe,
      signal,
      serverName: this.serverName,
      unreachableHint,
      httpError: this.httpError(undefined),
    });
    const parsed = tagsResponse.safeParse(body);
    if (!parsed.success) throw new LlmError('llm_bad_response', `${this.serverName} answered /api/tags with an unexpected shape.`);
    return (parsed.data.models ?? []).map((model) => ({
      name: model.name,
      sizeBytes: model.size ?? undefined,
      parameterSize: model.details?.parameter_size ?? undefined,
    }));
  }

  async describeModel(model: string, signal?: AbortSignal): Promise<ModelInfo> {
    const body = await requestJson(`${this.baseUrl}/api/show`, {
      body: { model },
      timeouts: infoTimeouts(this.options.timeouts, this.options.infoWaitMs),
      slowHint: infoSlowHint,
      observe: this.options.observe,
      signal,
      serverName: this.serverName,
      unreachableHint,
      httpError: this.httpError(model),
    });
    const parsed = showResponse.safeParse(body);
    if (!parsed.success) throw new LlmError('llm_bad_response', `${this.serverName} answered /api/show with an unexpected shape.`);
    const capabilities = parsed.data.capabilities ?? undefined;
    const contextEntry = Object.entries(parsed.data.model_info ?? {}).find(([key]) => key.endsWith('.context_length'));
    const contextLength = typeof contextEntry?.[1] === 'number' ? contextEntry[1] : undefined;
    return {
      name: model,
      tools: capabilities ? capabilities.includes('tools') : undefined,
      vision: capabilities ? capabilities.includes('vision') : undefined,
      thinking: capabilities ? capabilities.includes('thinking') : undefined,
      contextLength,
    };
  }

  chat(request: ChatRequest): AsyncIterable<LlmEvent> {
    return retryingChat(() => this.chatOnce(request), request, this.options);
  }

  private async *chatOnce(request: ChatRequest): AsyncGenerator<LlmEvent> {
    const options: Record<string, unknown> = {};
    if (request.numCtx !== undefined) options.num_ctx = request.numCtx;
    if (request.maxOutputTokens !== undefined) options.num_predict = request.maxOutputTokens;
    if (request.temperature !== undefined) options.temperature = request.temperature;
    const body: Record<string, unknown> = {
      model: request.model,
      messages: request.messages.map(toWireMessage),
      stream: true,
      options,
    };
    if (request.tools?.length) {
      body.tools = request.tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.parameters },
      }));
    }
    if (request.think !== undefined) body.think = request.think;
    if (request.keepAlive !== undefined) body.keep_alive = request.keepAlive;

    let calledTools = false;
    let finished = false;
    const text = streamText({
      url: `${this.baseUrl}/api/chat`,
      headers: {},
      body,
      timeouts: this.options.timeouts,
      observe: this.options.observe,
      signal: request.signal,
      serverName: this.serverName,
      unreachableHint,
      httpError: this.httpError(request.model),
    });
    for await (const line of lines(text)) {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new LlmError('llm_bad_response', `${this.serverName} sent a line that is not JSON: ${JSON.stringify(line.slice(0, 200))}. Check that OLLAMA_HOST points at Ollama.`);
      }
      const parsed = chatLine.safeParse(json);
      if (!parsed.success) {
        throw new LlmError('llm_bad_response', `${this.serverName} sent a reply line of an unexpected shape: ${JSON.stringify(line.slice(0, 200))}.`);
      }
      const chunk = parsed.data;
      if (chunk.error !== undefined && chunk.error !== null) {
        const detail = typeof chunk.error === 'string' ? chunk.error : JSON.stringify(chunk.error);
        throw new LlmError('llm_stream_error', `${this.serverName} reported an error in the middle of the reply: ${detail}`, { model: request.model });
      }
      const message = chunk.message;
      if (message?.thinking) yield { type: 'reasoning', text: message.thinking };
      if (message?.content) yield { type: 'text', text: message.content };
      for (const wireCall of message?.tool_calls ?? []) {
        calledTools = true;
        const call: ToolCall = {
          id: wireCall.id ?? `call_${++this.callCount}`,
          name: wireCall.function.name,
          arguments: parseArguments(wireCall.function.arguments),
        };
        yield { type: 'tool-call', call };
      }
      if (chunk.done) {
        finished = true;
        yield { type: 'usage', promptTokens: chunk.prompt_eval_count ?? 0, completionTokens: chunk.eval_count ?? 0 };
        const providerReason = chunk.done_reason ?? undefined;
        const reason: FinishReason = providerReason === 'length' ? 'length' : calledTools ? 'tool-calls' : providerReason === 'stop' || !providerReason ? 'stop' : 'other';
        yield { type: 'finish', reason, providerReason };
        break;
      }
    }
    if (!finished) {
      throw new LlmError('llm_stream_error', `${this.serverName} ended the reply before it was complete (no final "done" line). Try again; if it repeats, check Ollama's log.`, {
        model: request.model,
      });
    }
  }
}
