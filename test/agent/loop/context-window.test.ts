import { describe, expect, it } from 'vitest';
import { ContextWindow, type HistoryEntry } from '../../../src/agent/loop/context-window.js';

const big = (label: string) => `${label}: ${'x'.repeat(4000)}`;

function exchange(index: number): HistoryEntry[] {
  return [
    { message: { role: 'assistant', content: '', toolCalls: [{ id: `c${index}`, name: 'read', arguments: { path: `f${index}` } }] } },
    { message: { role: 'tool', content: big(`output ${index}`), toolName: 'read', toolCallId: `c${index}` }, toolResult: { name: 'read' } },
  ];
}

function history(exchanges: number): HistoryEntry[] {
  return [
    { message: { role: 'system', content: 'You are a careful engineer.' } },
    { message: { role: 'user', content: 'The task.' } },
    ...Array.from({ length: exchanges }, (_, index) => exchange(index)).flat(),
  ];
}

describe('the context window', () => {
  it('sends everything when it fits', () => {
    const fitted = new ContextWindow(32768, 4096).fit(history(2));
    expect(fitted.messages).toHaveLength(6);
    expect(fitted.collapsedOutputs + fitted.droppedMessages).toBe(0);
  });

  it('collapses the oldest tool outputs first, keeps the last two whole and the task pinned', () => {
    const entries = history(12);
    const fitted = new ContextWindow(8192, 2048).fit(entries);
    expect(fitted.estimatedTokens).toBeLessThanOrEqual(new ContextWindow(8192, 2048).budget);
    expect(fitted.messages.slice(0, 2).map((message) => message.content)).toEqual(['You are a careful engineer.', 'The task.']);
    expect(fitted.collapsedOutputs).toBeGreaterThan(0);
    const outputs = fitted.messages.filter((message) => message.role === 'tool').map((message) => message.content);
    expect(outputs.slice(-2).every((content) => content.startsWith('output'))).toBe(true);
    expect(outputs[0]).toMatch(/removed to fit the context window/);
  });

  it('drops whole exchanges when collapsing is not enough, never leaving a tool result without its call', () => {
    const entries = history(400);
    const fitted = new ContextWindow(4096, 1024).fit(entries);
    expect(fitted.droppedMessages).toBeGreaterThan(0);
    expect(fitted.messages[2]!.content).toMatch(/earlier messages were removed/);
    for (let index = 3; index < fitted.messages.length; index++) {
      if (fitted.messages[index]!.role === 'tool') expect(fitted.messages[index - 1]!.role).toMatch(/assistant|tool/);
    }
    expect(fitted.messages[3]!.role).toBe('assistant');
  });

  it('shortens the last message when even the latest exchange alone is too big', () => {
    const entries = history(1);
    entries[3]!.message = { role: 'tool', content: 'y'.repeat(200_000), toolName: 'read', toolCallId: 'c0' };
    const window = new ContextWindow(4096, 1024);
    const fitted = window.fit(entries);
    expect(fitted.estimatedTokens).toBeLessThanOrEqual(window.budget);
    expect(fitted.messages.at(-1)!.content).toMatch(/characters cut to fit the context window/);
    expect(fitted.messages.at(-2)!.role).toBe('assistant');
  });

  it("leaves room for the tools' schemas sent beside the messages", () => {
    const without = new ContextWindow(8192, 2048).fit(history(5));
    const withSchemas = new ContextWindow(8192, 2048, 12_000).fit(history(5));
    expect(withSchemas.collapsedOutputs).toBeGreaterThan(without.collapsedOutputs);
  });

  it("learns the characters-per-token ratio from the server's count", () => {
    const window = new ContextWindow(32768, 4096);
    const before = window.fit(history(3)).estimatedTokens;
    window.calibrate(before * 2);
    expect(window.fit(history(3)).estimatedTokens).toBeGreaterThan(before * 1.5);
  });
});
