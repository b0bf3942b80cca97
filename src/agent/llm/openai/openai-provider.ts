import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { LlmError } from '../llm-error.js';
import { infoSlowHint, infoTimeouts, requestJson, streamText } from '../http-stream.js';
import type { ChatMessage, FinishReason, LlmEvent, ToolCall } from '../llm-types.js';
import type { ChatRequest, LlmProvider, ModelInfo, ModelSummary, ProviderOptions } from '../provider.js';
import { retryAfterMs, retryingChat } from '../retry.js';
import { chunkFrame, errorBody, modelsResponse } from './openai-wire.js';

const unreachableHint = 'Is the server running? Check OPENAI_BASE_URL (for example http://127.0.0.1:8080/v1).';

function errorText(body: string): string {
  try {
    const parsed = errorBody.safeParse(JSON.parse(body));
    if (parsed.success) {
      const error = parsed.data.error;
      return typeof error === 'string' ? error : (error.message ?? JSON.stringify(error));
    }
  } catch {
    // Not JSON; show the start of it.
  }
  return body.trim().slice(0, 300);
}

function toWireMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case 'user':
      return message.images?.length
        ? {
            role: 'user',
            content: [
              { type: 'text', text: message.content },
              ...message.images.map((image) => ({
                type: 'image_url',
                image_url: { url: image.startsWith('data:') ? image : `data:image/png;base64,${image}` },
              })),
            ],
          }
        : { role: 'user', content: message.content };
    case 'assistant':
      return message.toolCalls?.length
        ? {
            role: 'assistant',
            content: message.content || null,
            tool_calls: message.toolCalls.map((call) => ({
              id: call.id,
              type: 'function',
              function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}) },
            })),
          }
        : { role: 'assistant', content: message.content };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId ?? message.toolName };
    default:
      return { role: message.role, content: message.content };
  }
}

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

function finishCall(pending: PendingCall): ToolCall {
  const raw = pending.arguments.trim();
  if (raw === '') return { id: pending.id, name: pending.name, arguments: {} };
  try {
    return { id: pending.id, name: pending.name, arguments: JSON.parse(raw) as unknown };
  } catch {
    return { id: pending.id, name: pending.name, arguments: pending.arguments };
  }
}

/** Any server speaking OpenAI's `/v1/chat/completions` with SSE streaming. */
export class OpenAiCompatibleProvider implements LlmProvider {
  readonly kind = 'openai';
  readonly baseUrl: string;
  private callCount = 0;

  constructor(private readonly options: ProviderOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  private get serverName() {
    return `the OpenAI-compatible server at ${this.baseUrl}`;
  }

  private get headers(): Record<string, string> {
    return this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  private httpError(model: string | undefined) {
    return (status: number, body: string, headers: Headers): LlmError => {
      const detail = errorText(body);
      const url = this.baseUrl;
      const suffix = detail ? `: ${detail}` : '';
      if (status === 404 && model && /model/i.test(detail)) {
        return new LlmError('llm_model_not_found', `The model "${model}" is not served by ${this.serverName}${suffix}. Check the model name; GET ${url}/models lists them.`, {
          status,
          url,
          model,
        });
      }
      if (status === 404) {
        return new LlmError('llm_bad_request', `Nothing answers at ${url} the way an OpenAI-compatible server does (404${suffix}). OPENAI_BASE_URL usually ends in /v1.`, { status, url });
      }
      if (status === 401 || status === 403) {
        return new LlmError('llm_unauthorized', `${this.serverName} refused the API key (${status}${suffix}). Check OPENAI_API_KEY.`, { status, url });
      }
      if (status === 429) {
        return new LlmError('llm_rate_limited', `${this.serverName} is rate limiting (429${suffix}). wfhub retries; try again later if it persists.`, {
          status,
          url,
          retryAfterMs: retryAfterMs(headers),
        });
      }
      if (status === 408 || status >= 500) {
        return new LlmError('llm_server_error', `${this.serverName} failed (${status}${suffix}). Check the server's log.`, { status, url, model });
      }
      return new LlmError('llm_bad_request', `${this.serverName} refused the request (${status}${suffix}).`, { status, url, model });
    };
  }

  private async models(signal?: AbortSignal) {
    const body = await requestJson(`${this.baseUrl}/models`, {
      method: 'GET',
      headers: this.headers,
      timeouts: infoTimeouts(this.options.timeouts, this.options.infoWaitMs),
      slowHint: infoSlowHint,
      observe: this.options.observe,
      signal,
      serverName: this.serverName,
      unreachableHint,
      httpError: this.httpError(undefined),
    });
    const parsed = modelsResponse.safeParse(body);
    if (!parsed.success) throw new LlmError('llm_bad_response', `${this.serverName} answered /models with an unexpected shape.`);
    return parsed.data.data ?? [];
  }

  async listModels(signal?: AbortSignal): Promise<ModelSummary[]> {
    return (await this.models(signal)).map((model) => ({ name: model.id }));
  }

  /** The chat-completions API does not say what a model can do; only vLLM and a few report a window. */
  async describeModel(model: string, signal?: AbortSignal): Promise<ModelInfo> {
    let listed;
    try {
      listed = (await this.models(signal)).find((entry) => entry.id === model);
    } catch (error) {
      // Some servers have no /models, and a busy one-request-at-a-time server may not answer it:
      // the chat call will say whether the model exists and the server works.
      if (error instanceof LlmError && ['llm_bad_request', 'llm_bad_response', 'llm_first_token_timeout', 'llm_idle_timeout', 'llm_call_timeout'].includes(error.code)) {
        return { name: model };
      }
      throw error;
    }
    return { name: model, contextLength: listed?.context_length ?? listed?.max_model_len ?? undefined };
  }

  chat(request: ChatRequest): AsyncIterable<LlmEvent> {
    return retryingChat(() => this.chatOnce(request), request, this.options);
  }

  private async *chatOnce(request: ChatRequest): AsyncGenerator<LlmEvent> {
    const body: Record<string, unknown> = {
      model: request.model,
      messages: request.messages.map(toWireMessage),
      stream: true,
      stream_options: { include_usage: true },
    };
    if (request.tools?.length) {
      body.tools = request.tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.parameters },
      }));
    }
    if (request.maxOutputTokens !== undefined) body.max_tokens = request.maxOutputTokens;
    if (request.temperature !== undefined) body.temperature = request.temperature;

    const frames: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => frames.push(event) });
    const pending = new Map<number, PendingCall>();
    const ready: ToolCall[] = [];
    let usage: { promptTokens: number; completionTokens: number } | undefined;
    let providerReason: string | undefined;
    let sawDone = false;

    const text = streamText({
      url: `${this.baseUrl}/chat/completions`,
      headers: this.headers,
      body,
      timeouts: this.options.timeouts,
      observe: this.options.observe,
      signal: request.signal,
      serverName: this.serverName,
      unreachableHint,
      httpError: this.httpError(request.model),
    });
    stream: for await (const chunk of text) {
      parser.feed(chunk);
      for (const frame of frames.splice(0)) {
        const data = frame.data.trim();
        if (data === '[DONE]') {
          sawDone = true;
          break stream;
        }
        if (data === '') continue;
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          throw new LlmError('llm_bad_response', `${this.serverName} sent an event that is not JSON: ${JSON.stringify(data.slice(0, 200))}.`);
        }
        const parsed = chunkFrame.safeParse(json);
        if (!parsed.success) throw new LlmError('llm_bad_response', `${this.serverName} sent an event of an unexpected shape: ${JSON.stringify(data.slice(0, 200))}.`);
        const event = parsed.data;
        if (event.error !== undefined && event.error !== null) {
          throw new LlmError('llm_stream_error', `${this.serverName} reported an error in the middle of the reply: ${errorText(JSON.stringify(event))}`, {
            model: request.model,
          });
        }
        if (event.usage) usage = { promptTokens: event.usage.prompt_tokens ?? 0, completionTokens: event.usage.completion_tokens ?? 0 };
        for (const choice of event.choices ?? []) {
          const delta = choice.delta;
          const reasoning = delta?.reasoning ?? delta?.reasoning_content;
          if (reasoning) yield { type: 'reasoning', text: reasoning };
          if (delta?.content) yield { type: 'text', text: delta.content };
          for (const part of delta?.tool_calls ?? []) {
            const index = part.index ?? 0;
            const current = pending.get(index);
            // Some servers reuse index 0 for parallel calls: a new id starts a new call.
            if (!current || (part.id && current.id !== part.id && (current.name !== '' || current.arguments !== ''))) {
              if (current) ready.push(finishCall(current));
              pending.set(index, { id: part.id ?? `call_${++this.callCount}`, name: part.function?.name ?? '', arguments: part.function?.arguments ?? '' });
              continue;
            }
            if (part.function?.name && current.name === '') current.name = part.function.name;
            if (part.function?.arguments) current.arguments += part.function.arguments;
          }
          if (choice.finish_reason) providerReason = choice.finish_reason;
        }
      }
    }
    if (!sawDone && providerReason === undefined) {
      throw new LlmError('llm_stream_error', `${this.serverName} ended the reply before it was complete (no finish_reason, no [DONE]). Try again; if it repeats, check the server's log.`, {
        model: request.model,
      });
    }
    for (const call of pending.values()) ready.push(finishCall(call));
    for (const call of ready) {
      if (call.name === '') throw new LlmError('llm_bad_response', `${this.serverName} sent a tool call without a name.`);
      yield { type: 'tool-call', call };
    }
    yield { type: 'usage', promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0 };
    const reason: FinishReason =
      providerReason === 'length' ? 'length' : ready.length > 0 ? 'tool-calls' : providerReason === 'stop' || providerReason === undefined ? 'stop' : 'other';
    yield { type: 'finish', reason, providerReason };
  }
}
