import type { ExchangeObserver } from '../../core/http-exchange.js';
import type { CallTimeouts } from './http-stream.js';
import type { ChatMessage, LlmEvent, ToolSpec } from './llm-types.js';
import type { RetryPolicy } from './retry.js';

/** What wfhub knows of a model before using it. Unknown stays undefined: not every server says. */
export interface ModelInfo {
  readonly name: string;
  /** Native tool calling (Ollama's `tools` capability). */
  readonly tools?: boolean;
  readonly vision?: boolean;
  /** Has a thinking mode that tool loops turn off. */
  readonly thinking?: boolean;
  /** The context window the model was trained for, in tokens. */
  readonly contextLength?: number;
}

export interface ModelSummary {
  readonly name: string;
  readonly sizeBytes?: number;
  /** "3.1B" */
  readonly parameterSize?: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  /** Offered natively; leave empty when the text protocol is used. */
  readonly tools?: readonly ToolSpec[];
  /** The context window to ask for. Ollama reloads the model when it changes: keep it fixed per session. */
  readonly numCtx?: number;
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  /** How long the server keeps the model loaded after this call (Ollama's `keep_alive`, "30m"). */
  readonly keepAlive?: string;
  /** false turns a thinking model's reasoning off (Ollama's `think`). */
  readonly think?: boolean;
  readonly signal?: AbortSignal;
  /** Told about each retry of this call (the server was down or busy), before waiting. */
  readonly onRetry?: (message: string) => void;
}

/** A model server. Providers translate wire formats into LlmEvents and failures into LlmErrors. */
export interface LlmProvider {
  readonly kind: 'ollama' | 'openai';
  /** The server's base URL, for messages and /health. */
  readonly baseUrl: string;
  listModels(signal?: AbortSignal): Promise<ModelSummary[]>;
  describeModel(model: string, signal?: AbortSignal): Promise<ModelInfo>;
  /** Streams one reply. Throws an LlmError (from the iterator) on any failure, never hangs. */
  chat(request: ChatRequest): AsyncIterable<LlmEvent>;
}

export interface ProviderOptions {
  readonly baseUrl: string;
  readonly timeouts: CallTimeouts;
  readonly retry?: RetryPolicy;
  /** OpenAI-compatible servers only. A secret: never logged or shown. */
  readonly apiKey?: string;
  /** Told about each retry, for the log and the run's events. */
  readonly onRetry?: (message: string) => void;
  /** How long a question about models (list, describe) may wait for an answer; 15 s by default. */
  readonly infoWaitMs?: number;
  /** Told of each chat call to the server once it has ended (the model-call log). */
  readonly observe?: ExchangeObserver;
}
