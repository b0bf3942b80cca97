import type { ChatMessage } from '../llm/llm-types.js';

/** A message of the run's history, with what the window needs to know to shrink it. */
export interface HistoryEntry {
  message: ChatMessage;
  /** Set on tool results (native `tool` messages or the text protocol's user messages). */
  toolResult?: { name: string };
  /** Replaced by a short note to save room. */
  collapsed?: boolean;
}

export interface FittedPrompt {
  messages: ChatMessage[];
  estimatedTokens: number;
  collapsedOutputs: number;
  droppedMessages: number;
}

/** Tool results kept whole however tight the window: the model is acting on them. */
const keepRecentResults = 2;
/** Images cost a roughly fixed number of tokens in vision models. */
const tokensPerImage = 768;

/**
 * wfhub's own token accounting. Ollama silently drops the FRONT of a prompt that does not fit,
 * which loses the task first; so the prompt is kept under a share of the window here, with the
 * system prompt and the task pinned and the oldest tool outputs collapsed first.
 * Estimates start at a conservative characters-per-token ratio and are corrected by the
 * `prompt_eval_count` the server reports for each prompt.
 */
export class ContextWindow {
  /** The most the prompt may take, in tokens. */
  readonly budget: number;
  private charsPerToken = 3.2;

  constructor(
    readonly numCtx: number,
    readonly maxOutputTokens: number,
  ) {
    this.budget = Math.floor(0.85 * (numCtx - maxOutputTokens));
  }

  /** Characters one tool result may hold: a third of the budget, so a few fit side by side. */
  get maxToolOutputChars(): number {
    return Math.max(2000, Math.floor((this.budget / 3) * this.charsPerToken));
  }

  private characters(message: ChatMessage): number {
    let total = message.content.length + 16;
    if (message.role === 'assistant' && message.toolCalls) {
      for (const call of message.toolCalls) total += call.name.length + JSON.stringify(call.arguments ?? {}).length + 16;
    }
    return total;
  }

  estimate(messages: readonly ChatMessage[]): number {
    let characters = 0;
    let images = 0;
    for (const message of messages) {
      characters += this.characters(message);
      if (message.role === 'user') images += message.images?.length ?? 0;
    }
    return Math.ceil(characters / this.charsPerToken) + images * tokensPerImage;
  }

  /** Learns the real ratio from what the server counted for a prompt (ignoring tiny prompts). */
  calibrate(messages: readonly ChatMessage[], promptTokens: number): void {
    if (promptTokens < 200) return;
    let characters = 0;
    let images = 0;
    for (const message of messages) {
      characters += this.characters(message);
      if (message.role === 'user') images += message.images?.length ?? 0;
    }
    const textTokens = promptTokens - images * tokensPerImage;
    if (textTokens <= 0) return;
    this.charsPerToken = Math.min(8, Math.max(1.5, characters / textTokens));
  }

  /**
   * The messages to send: all of them when they fit; otherwise older tool outputs collapsed to a
   * note, then the oldest exchanges dropped, never the first two entries (system prompt, task).
   * Collapsing is recorded on the entries, so later prompts stay stable (and cacheable).
   */
  fit(history: HistoryEntry[]): FittedPrompt {
    let collapsedOutputs = 0;
    const total = () => this.estimate(history.map((entry) => entry.message));
    if (total() > this.budget) {
      const results = history.map((entry, index) => ({ entry, index })).filter(({ entry }) => entry.toolResult && !entry.collapsed);
      for (const { entry } of results.slice(0, Math.max(0, results.length - keepRecentResults))) {
        if (total() <= this.budget) break;
        const lines = entry.message.content.split('\n').length;
        const note = `[Output of ${entry.toolResult!.name} (${lines} lines) removed to fit the context window. Call the tool again if you still need it.]`;
        entry.message = { ...entry.message, content: note } as ChatMessage;
        entry.collapsed = true;
        collapsedOutputs++;
      }
    }

    let messages = history.map((entry) => entry.message);
    let droppedMessages = 0;
    if (this.estimate(messages) > this.budget && messages.length > 3) {
      const pinned = messages.slice(0, 2);
      let rest = messages.slice(2);
      // Drop whole exchanges from the front: an assistant message goes with the results after it.
      while (rest.length > 1 && this.estimate([...pinned, ...rest]) > this.budget) {
        let cut = 1;
        while (cut < rest.length - 1 && rest[cut]!.role !== 'assistant') cut++;
        rest = rest.slice(cut);
        droppedMessages += cut;
      }
      const note: ChatMessage = {
        role: 'user',
        content: `[${droppedMessages} earlier messages were removed to fit the context window. The task above still stands.]`,
      };
      messages = [...pinned, note, ...rest];
    }

    const estimatedTokens = this.estimate(messages);
    if (estimatedTokens > this.budget) {
      // Even the latest exchange alone is too big: shorten its longest message.
      let longest = 2;
      for (let index = 2; index < messages.length; index++) if (messages[index]!.content.length > messages[longest]!.content.length) longest = index;
      const message = messages[longest];
      if (message) {
        const excessChars = Math.ceil((estimatedTokens - this.budget) * this.charsPerToken) + 200;
        const keep = Math.max(0, message.content.length - excessChars);
        messages[longest] = {
          ...message,
          content: `${message.content.slice(0, keep)}\n[... ${message.content.length - keep} characters cut to fit the context window ...]`,
        } as ChatMessage;
      }
    }
    return { messages, estimatedTokens: this.estimate(messages), collapsedOutputs, droppedMessages };
  }
}
