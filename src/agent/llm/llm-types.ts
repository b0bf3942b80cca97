/**
 * The one model of a chat with a language model that the agent loop sees, whatever the provider
 * (Ollama's native API, an OpenAI-compatible server). Providers translate their wire shapes into
 * these; nothing above `llm/` knows a wire format.
 */

/** A tool offered to the model. `parameters` is a JSON Schema object. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
}

/** A call of a tool, as asked by the model. */
export interface ToolCall {
  /** The provider's id, or one made up when the provider sends none. */
  readonly id: string;
  readonly name: string;
  /** Usually an object; a string when the model sent arguments that are not valid JSON. */
  readonly arguments: unknown;
}

export type ChatMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: string; readonly images?: readonly string[] }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly content: string; readonly toolName: string; readonly toolCallId?: string };

export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'other';

export type LlmEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'reasoning'; readonly text: string }
  | { readonly type: 'tool-call'; readonly call: ToolCall }
  | { readonly type: 'usage'; readonly promptTokens: number; readonly completionTokens: number }
  | { readonly type: 'finish'; readonly reason: FinishReason; readonly providerReason?: string };
