import type { ChatMessage } from '../llm/llm-types.js';

/** A message of the run's history, with what the window needs to know to shrink it. */
export interface HistoryEntry {
  message: ChatMessage;
  /** Set on tool results (native `tool` messages or the text protocol's user messages). */
  toolResult?: { name: string };
  /** Replaced by a short note to save room. */
  collapsed?: boolean;
  /** The message's size as the window counts it, cached: the history is walked at every step. */
  characters?: number;
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
    /** Sent with every prompt besides the messages: the tools' JSON schemas, in native mode. */
    private readonly reservedCharacters = 0,
  ) {
    this.budget = Math.floor(0.85 * (numCtx - maxOutputTokens));
  }

  /** The characters-per-token ratio estimates use now (conservative until calibrated). */
  get charsPerTokenEstimate(): number {
    return this.charsPerToken;
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

  /**
   * Learns the real ratio from what the server counted for the prompt `fit` last returned
   * (ignoring tiny prompts, whose fixed template overhead would skew it).
   */
  calibrate(promptTokens: number): void {
    if (promptTokens < 200 || this.lastFit === undefined) return;
    const textTokens = promptTokens - this.lastFit.imageTokens;
    if (textTokens <= 0) return;
    this.charsPerToken = Math.min(8, Math.max(1.5, this.lastFit.characters / textTokens));
  }

  private lastFit: { characters: number; imageTokens: number } | undefined;

  private sizeOf(entry: HistoryEntry): number {
    entry.characters ??= this.characters(entry.message);
    return entry.characters;
  }

  /**
   * The messages to send: all of them when they fit; otherwise older tool outputs collapsed to a
   * note, then the oldest exchanges dropped, never the first two entries (system prompt, task).
   * Collapsing is recorded on the entries, so later prompts stay stable (and cacheable). Sizes are
   * cached on the entries and summed once, so a step costs the same however long the run.
   */
  fit(history: HistoryEntry[]): FittedPrompt {
    let collapsedOutputs = 0;
    let imageTokens = 0;
    for (const entry of history) if (entry.message.role === 'user') imageTokens += (entry.message.images?.length ?? 0) * tokensPerImage;
    const budgetChars = Math.max(0, this.budget - imageTokens) * this.charsPerToken - this.reservedCharacters;
    let total = 0;
    for (const entry of history) total += this.sizeOf(entry);
    if (total > budgetChars) {
      let results = 0;
      for (const entry of history) if (entry.toolResult && !entry.collapsed) results++;
      let collapsible = Math.max(0, results - keepRecentResults);
      for (const entry of history) {
        if (total <= budgetChars || collapsible === 0) break;
        if (!entry.toolResult || entry.collapsed) continue;
        collapsible--;
        const lines = entry.message.content.split('\n').length;
        const note = `[Output of ${entry.toolResult.name} (${lines} lines) removed to fit the context window. Call the tool again if you still need it.]`;
        total -= this.sizeOf(entry);
        entry.message = { ...entry.message, content: note } as ChatMessage;
        entry.collapsed = true;
        entry.characters = undefined;
        total += this.sizeOf(entry);
        collapsedOutputs++;
      }
    }

    let messages = history.map((entry) => entry.message);
    let droppedMessages = 0;
    if (total > budgetChars && history.length > 3) {
      // Drop whole exchanges from the front: an assistant message goes with the results after it.
      let start = 2;
      while (start < history.length - 1 && total > budgetChars) {
        let cut = start + 1;
        while (cut < history.length - 1 && history[cut]!.message.role !== 'assistant') cut++;
        // Never keep a tool result without the assistant message that asked for it: strict
        // OpenAI-compatible servers refuse such a prompt.
        if (history[cut]!.message.role !== 'assistant') break;
        for (let index = start; index < cut; index++) total -= this.sizeOf(history[index]!);
        droppedMessages += cut - start;
        start = cut;
      }
      const note: ChatMessage = {
        role: 'user',
        content: `[${droppedMessages} earlier messages were removed to fit the context window. The task above still stands.]`,
      };
      messages = [messages[0]!, messages[1]!, note, ...messages.slice(start)];
      total += this.characters(note);
    }
    this.lastFit = { characters: total + this.reservedCharacters, imageTokens };

    const estimatedTokens = Math.ceil((total + this.reservedCharacters) / this.charsPerToken) + imageTokens;
    if (estimatedTokens <= this.budget) return { messages, estimatedTokens, collapsedOutputs, droppedMessages };
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
    const shortened = this.estimate(messages) + Math.ceil(this.reservedCharacters / this.charsPerToken);
    this.lastFit = { characters: (shortened - imageTokens) * this.charsPerToken, imageTokens };
    return { messages, estimatedTokens: shortened, collapsedOutputs, droppedMessages };
  }
}
