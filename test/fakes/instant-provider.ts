import type { ChatMessage, LlmEvent, ToolCall } from '../../src/agent/llm/llm-types.js';
import type { ChatRequest, LlmProvider, ModelInfo, ModelSummary } from '../../src/agent/llm/provider.js';

/** What the instant model answers at a step: text, tool calls, or both. */
export interface InstantReply {
  text?: string;
  toolCalls?: Omit<ToolCall, 'id'>[];
}

/**
 * A model that answers at once, in process: for measuring the harness's own cost (the loop, the
 * tools, the events) with no model time in it. `reply` decides each answer from the history.
 */
export class InstantProvider implements LlmProvider {
  readonly kind = 'ollama';
  readonly baseUrl = 'instant://';
  calls = 0;

  constructor(
    private readonly reply: (step: number, messages: readonly ChatMessage[]) => InstantReply,
    private readonly info: Omit<ModelInfo, 'name'> = { tools: true, contextLength: 32768 },
  ) {}

  async listModels(): Promise<ModelSummary[]> {
    return [{ name: 'instant' }];
  }

  async describeModel(model: string): Promise<ModelInfo> {
    return { name: model, ...this.info };
  }

  async *chat(request: ChatRequest): AsyncIterable<LlmEvent> {
    const step = ++this.calls;
    const answer = this.reply(step, request.messages);
    if (answer.text) yield { type: 'text', text: answer.text };
    for (const [index, call] of (answer.toolCalls ?? []).entries()) yield { type: 'tool-call', call: { id: `call_${step}_${index}`, ...call } };
    yield { type: 'usage', promptTokens: 500, completionTokens: 30 };
    yield { type: 'finish', reason: answer.toolCalls?.length ? 'tool-calls' : 'stop' };
  }
}
