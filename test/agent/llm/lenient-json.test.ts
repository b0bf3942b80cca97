import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonScanner, parseLenientJson, readJsonValue } from '../../../src/agent/llm/lenient-json.js';

describe('parseLenientJson', () => {
  it('agrees with JSON.parse on valid JSON', () => {
    fc.assert(
      fc.property(fc.json(), (source) => {
        expect(parseLenientJson(source)).toEqual({ ok: true, value: JSON.parse(source) });
      }),
    );
  });

  it.each([
    ['trailing commas', '{"a": [1, 2,], }', { a: [1, 2] }],
    ['single quotes and Python literals', "{'a': True, 'b': None, 'c': 'it\\'s'}", { a: true, b: null, c: "it's" }],
    ['unquoted keys', '{path: "a.ts", limit: 3}', { path: 'a.ts', limit: 3 }],
    ['raw newlines and tabs in strings', '{"a": "x\n\ty"}', { a: 'x\n\ty' }],
    ['invalid escapes', '{"a": "\\d+\\.ts"}', { a: '\\d+\\.ts' }],
  ])('repairs %s', (_, source, value) => {
    expect(parseLenientJson(source)).toEqual({ ok: true, value });
  });

  it("reports JSON.parse's error for what the model wrote when the repair does not help", () => {
    const source = '{"a": 1 "b": 2}';
    let expected = '';
    try {
      JSON.parse(source);
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(parseLenientJson(source)).toEqual({ ok: false, error: expected });
  });
});

describe('JsonScanner', () => {
  it('finds the end of a value, ignoring brackets inside either kind of quotes', () => {
    const text = `say {"a": "}", 'b': ['{']} then`;
    expect(new JsonScanner(text).scan(4)).toEqual({ status: 'closed', end: text.indexOf(' then') });
  });

  it('reports mismatched brackets, and the closers of a value the text cuts off', () => {
    expect(new JsonScanner('{"a": [1}').scan(0)).toEqual({ status: 'mismatch' });
    expect(new JsonScanner('{"a": [{"b": 1}').scan(0)).toEqual({ status: 'open', closers: ']}' });
    expect(new JsonScanner('{"a": "cut').scan(0)).toEqual({ status: 'open' });
  });
});

describe('readJsonValue', () => {
  it('closes a value cut off after a complete string, but does not guess the end of a string', () => {
    const closed = '{"name": "read", "arguments": {"path": "a.ts"';
    expect(readJsonValue(new JsonScanner(closed), closed, 0)).toEqual({
      ok: true,
      value: { name: 'read', arguments: { path: 'a.ts' } },
      end: closed.length,
      closedByRepair: true,
    });
    const cut = '{"path": "a.t';
    expect(readJsonValue(new JsonScanner(cut), cut, 0)).toMatchObject({ ok: false, error: 'it ends inside a string', complete: false });
  });
});
