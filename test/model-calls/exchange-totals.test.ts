import { describe, expect, it } from 'vitest';
import { BodyCapture, keptText } from '../../src/core/http-exchange.js';
import { exchangeTotals } from '../../src/model-calls/exchange-totals.js';

const captured = (text: string, head = 16 * 1024, tail = 4 * 1024) => {
  const capture = new BodyCapture(head, tail);
  // In uneven pieces, as a network delivers them, split inside a multi-byte character too.
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += 7) capture.add(bytes.subarray(at, at + 7));
  return capture.captured();
};

describe('the totals of a model call, from its bodies', () => {
  it("reads Ollama's streamed answer, however long, from the end it keeps", () => {
    const lines = Array.from({ length: 5000 }, (_, index) => JSON.stringify({ model: 'qwen3:4b', message: { role: 'assistant', content: `wörd ${index} ` }, done: false }));
    lines.push(JSON.stringify({ model: 'qwen3:4b', done: true, done_reason: 'stop', prompt_eval_count: 1234, eval_count: 5000, eval_duration: 2_500_000_000 }));
    const response = captured(`${lines.join('\n')}\n`);
    expect(response.head.length).toBe(16 * 1024);
    expect(response.tail.length).toBe(4 * 1024);
    expect(response.bytes).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));
    expect(exchangeTotals(captured(JSON.stringify({ model: 'qwen3:4b', messages: [] })), response)).toEqual({ model: 'qwen3:4b', promptTokens: 1234, completionTokens: 5000, generationMs: 2500 });
    expect(keptText(response)).toMatch(/bytes left out/);
  });

  it("reads an OpenAI-compatible stream's usage frame and a plain JSON answer", () => {
    const sse = ['data: {"choices":[{"delta":{"content":"Hi"}}]}', '', 'data: {"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":7,"total_tokens":57}}', '', 'data: [DONE]', ''].join('\n');
    expect(exchangeTotals(captured('{"model":"gpt-small","stream":true}'), captured(sse))).toEqual({ model: 'gpt-small', promptTokens: 50, completionTokens: 7 });
    const json = JSON.stringify({ model: 'qwen2.5-coder:3b', message: { content: 'Hello' }, done: true, prompt_eval_count: 26, eval_count: 237, eval_duration: 4_289_432_000 });
    expect(exchangeTotals(captured('{"model":"qwen2.5-coder:3b","stream":false}'), captured(json))).toMatchObject({ promptTokens: 26, completionTokens: 237 });
  });

  it('finds the counts of a long answer whose end is not a whole object: a long JSON answer, a last line with its context', () => {
    const openai = JSON.stringify({ model: 'gpt-small', choices: [{ message: { content: 'long '.repeat(10_000) } }], usage: { prompt_tokens: 900, completion_tokens: 10_000 } });
    expect(exchangeTotals(captured('{"model":"gpt-small"}'), captured(openai))).toMatchObject({ promptTokens: 900, completionTokens: 10_000 });
    const generate = [
      JSON.stringify({ model: 'qwen3:4b', response: 'Hi', done: false }),
      JSON.stringify({ model: 'qwen3:4b', response: '', done: true, context: Array.from({ length: 3000 }, (_, index) => index), prompt_eval_count: 12, eval_count: 3, eval_duration: 30_000_000 }),
    ].join('\n');
    expect(exchangeTotals(captured('{"model":"qwen3:4b","prompt":"Hi"}'), captured(generate))).toEqual({ model: 'qwen3:4b', promptTokens: 12, completionTokens: 3, generationMs: 30 });
  });

  it('keeps only the start and the end of one huge chunk', () => {
    const capture = new BodyCapture(10, 5);
    capture.add(Buffer.from(`${'a'.repeat(10)}${'m'.repeat(1_000_000)}${'z'.repeat(5)}`));
    expect(capture.captured()).toEqual({ head: 'a'.repeat(10), tail: 'z'.repeat(5), bytes: 1_000_015 });
    capture.add('after');
    expect(capture.captured().tail).toBe('after');
  });

  it('finds the model of a request cut short, and says nothing it cannot know', () => {
    const long = JSON.stringify({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x'.repeat(100_000) }] });
    expect(exchangeTotals(captured(long), captured('')).model).toBe('qwen3:4b');
    expect(exchangeTotals(captured(''), captured('{"models":[]}'))).toEqual({ model: undefined });
    expect(exchangeTotals(captured('not json'), captured('<html>Bad gateway</html>'))).toEqual({ model: undefined });
  });
});
