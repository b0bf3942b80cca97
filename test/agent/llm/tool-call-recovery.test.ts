import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ToolSpec } from '../../../src/agent/llm/llm-types.js';
import { formatAssistantCallForText } from '../../../src/agent/llm/text-protocol.js';
import { recoverToolCalls, stripThinking } from '../../../src/agent/llm/tool-call-recovery.js';

const tools: ToolSpec[] = [
  {
    name: 'read',
    description: 'Read a file.',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, offset: { type: 'integer' }, limit: { type: 'integer' } },
      required: ['path'],
    },
  },
  {
    name: 'write',
    description: 'Write a whole file.',
    parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] },
  },
  {
    name: 'edit',
    description: 'Replace exact text in a file.',
    parameters: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        oldString: { type: 'string' },
        newString: { type: 'string' },
        replaceAll: { type: 'boolean' },
      },
      required: ['path', 'oldString', 'newString'],
    },
  },
  {
    name: 'bash',
    description: 'Run a command.',
    parameters: { type: 'object', properties: { command: { type: 'string' }, timeout: { type: ['integer', 'null'] } }, required: ['command'] },
  },
  {
    name: 'grep',
    description: 'Search files.',
    parameters: {
      type: 'object',
      properties: { pattern: { type: 'string' }, paths: { type: 'array', items: { type: 'string' } }, options: { type: 'object' } },
      required: ['pattern'],
    },
  },
  { name: 'finish', description: 'End the run.', parameters: { type: 'object', properties: { summary: { type: 'string' } } } },
];

const recover = (text: string) => recoverToolCalls(text, tools);

describe('recoverToolCalls: bare JSON (qwen2.5-coder)', () => {
  it('recovers a reply that is only {"name", "arguments"}', () => {
    // ollama #12174: tool_calls null, content holds the call.
    const result = recover('{"name": "read", "arguments": {"path": "src/index.ts"}}');
    expect(result).toEqual({ calls: [{ name: 'read', arguments: { path: 'src/index.ts' }, form: 'json' }], text: '', problems: [] });
  });

  it('recovers a pretty-printed call and keeps the prose around it as text', () => {
    const reply = 'Let me look at the instructions first.\n\n{\n"name": "read",\n"arguments": {\n"path": "AGENTS.md"\n}\n}\n\nThen I will fix it.';
    const result = recover(reply);
    expect(result.calls).toEqual([{ name: 'read', arguments: { path: 'AGENTS.md' }, form: 'json' }]);
    expect(result.text).toBe('Let me look at the instructions first.\n\nThen I will fix it.');
  });

  it('accepts "parameters" in place of "arguments"', () => {
    expect(recover('{"name": "bash", "parameters": {"command": "npm test"}}').calls).toEqual([
      { name: 'bash', arguments: { command: 'npm test' }, form: 'json' },
    ]);
  });

  it('finds several calls, one per line, in order', () => {
    const reply = '{"name": "read", "arguments": {"path": "a.ts"}}\n{"name": "read", "arguments": {"path": "b.ts"}}';
    expect(recover(reply).calls.map((call) => call.arguments.path)).toEqual(['a.ts', 'b.ts']);
  });

  it('finds the calls in a JSON array', () => {
    const reply = '[{"name": "read", "arguments": {"path": "a.ts"}}, {"name": "bash", "arguments": {"command": "ls"}}]';
    expect(recover(reply).calls.map((call) => call.name)).toEqual(['read', 'bash']);
  });

  it('finds a call after unbalanced brackets in the prose before it', () => {
    const reply = 'Options: {"a": [1, 2 or {"b": \n{"name": "read", "arguments": {"path": "a.ts"}}';
    expect(recover(reply).calls).toEqual([{ name: 'read', arguments: { path: 'a.ts' }, form: 'json' }]);
  });

  it('finds the calls of a list that is not valid JSON as a whole', () => {
    const reply = '[\n{"name": "read", "arguments": {"path": "a.ts"}},\n{"name": "read", "arguments": {"path": "b.ts"}} and that is all]';
    expect(recover(reply).calls.map((call) => call.arguments.path)).toEqual(['a.ts', 'b.ts']);
  });

  it('decodes arguments sent as a JSON string', () => {
    expect(recover('{"name": "read", "arguments": "{\\"path\\": \\"a.ts\\", \\"offset\\": 3}"}').calls).toEqual([
      { name: 'read', arguments: { path: 'a.ts', offset: 3 }, form: 'json' },
    ]);
  });

  it('unwraps the OpenAI wire shape {"type": "function", "function": {...}}', () => {
    const reply = '{"type": "function", "function": {"name": "read", "arguments": {"path": "a.ts"}}}';
    expect(recover(reply).calls).toEqual([{ name: 'read', arguments: { path: 'a.ts' }, form: 'json' }]);
  });

  it('removes a wrapper tag the model invented around the JSON', () => {
    // ardanlabs/kronk #944: <tools> {json} </tool, <function>{json}</function>.
    const first = recover('<tools> {"name": "read", "arguments": {"path": "a.ts"}} </tool');
    expect(first.calls).toHaveLength(1);
    expect(first.text).toBe('');
    const second = recover('Reading.\n<function>\n{"name": "read", "arguments": {"path": "a.ts"}}\n</function>');
    expect(second.calls).toHaveLength(1);
    expect(second.text).toBe('Reading.');
  });

  it('matches a tool name that differs only in case or has a functions. prefix', () => {
    expect(recover('{"name": "Read", "arguments": {"path": "a"}}').calls[0]?.name).toBe('read');
    expect(recover('{"name": "functions.bash", "arguments": {"command": "ls"}}').calls[0]?.name).toBe('bash');
  });

  it('does not take a bare {"name": ...} without arguments for a call', () => {
    expect(recover('The tool is {"name": "read"}.')).toEqual({ calls: [], text: 'The tool is {"name": "read"}.', problems: [] });
  });
});

describe('recoverToolCalls: JSON slips of small models', () => {
  it('tolerates trailing commas', () => {
    expect(recover('{"name": "read", "arguments": {"path": "a.ts",},}').calls).toEqual([{ name: 'read', arguments: { path: 'a.ts' }, form: 'json' }]);
  });

  it('tolerates single-quoted strings and Python literals', () => {
    const result = recover("{'name': 'edit', 'arguments': {'path': 'a.ts', 'oldString': 'it\\'s', 'newString': \"say \\\"hi\\\"\", 'replaceAll': True}}");
    expect(result.calls).toEqual([
      { name: 'edit', arguments: { path: 'a.ts', oldString: "it's", newString: 'say "hi"', replaceAll: true }, form: 'json' },
    ]);
  });

  it('tolerates raw newlines and tabs inside strings', () => {
    const reply = '{"name": "write", "arguments": {"path": "a.py", "content": "def f():\n\treturn 1\n"}}';
    expect(recover(reply).calls[0]?.arguments.content).toBe('def f():\n\treturn 1\n');
  });

  it('tolerates an invalid escape such as a regex \\d', () => {
    expect(recover('{"name": "grep", "arguments": {"pattern": "\\d+"}}').calls[0]?.arguments.pattern).toBe('\\d+');
  });

  it('closes a call whose final braces are missing at the end of the reply', () => {
    expect(recover('{"name": "read", "arguments": {"path": "a.ts"}').calls).toEqual([{ name: 'read', arguments: { path: 'a.ts' }, form: 'json' }]);
  });

  it('reports a call cut off inside a string instead of guessing its end', () => {
    const result = recover('{"name": "write", "arguments": {"path": "a.ts", "content": "export const a');
    expect(result.calls).toEqual([]);
    expect(result.problems).toEqual([expect.stringMatching(/^the call of "write" is not valid JSON/)]);
  });

  it('reports broken JSON that is clearly a call as a problem', () => {
    const result = recover('{"name": "read", "arguments": {"path": "a.ts" "limit": 10}}');
    expect(result.calls).toEqual([]);
    expect(result.problems).toEqual([expect.stringMatching(/^the call of "read" is not valid JSON \(.+\)$/)]);
    expect(result.text).toContain('"limit": 10');
  });

  it('reports arguments that are not an object', () => {
    const result = recover('{"name": "read", "arguments": "a.ts"}');
    expect(result.calls).toEqual([]);
    expect(result.problems).toEqual(['the arguments of "read" must be a JSON object of parameters']);
  });
});

describe('recoverToolCalls: names and data', () => {
  it('reports an attempted call of an unknown tool and returns no call', () => {
    // thClaws #50: qwen2.5-coder calls a tool that was never offered.
    const result = recover('{ "name": "Skill", "arguments": { "name": "none" } }');
    expect(result.calls).toEqual([]);
    expect(result.problems).toEqual(['unknown tool "Skill"']);
  });

  it('does not take a package.json with a "name" field for a call', () => {
    const reply = 'Here is the package.json:\n\n```json\n{\n  "name": "read",\n  "version": "1.0.0",\n  "scripts": {"test": "vitest"}\n}\n```';
    expect(recover(reply)).toEqual({ calls: [], text: reply, problems: [] });
  });

  it('ignores call-shaped objects nested inside other JSON data', () => {
    const reply = '{"fixtures": [{"name": "read", "arguments": {"path": "a"}}], "version": 2}';
    expect(recover(reply)).toEqual({ calls: [], text: reply, problems: [] });
  });

  it('does not take a tool definition the model echoes for a call', () => {
    const reply = '{"name": "read", "description": "Read a file.", "parameters": {"type": "object"}}';
    expect(recover(reply).calls).toEqual([]);
  });

  it('ignores JSON inside a code fence of another language', () => {
    const reply = 'The fixture:\n```ts\nconst call = {"name": "read", "arguments": {"path": "a"}};\n```';
    expect(recover(reply)).toEqual({ calls: [], text: reply, problems: [] });
  });

  it('does not look for calls inside the file content of a call', () => {
    const inner = JSON.stringify({ name: 'bash', arguments: { command: 'rm -rf /' } });
    const reply = JSON.stringify({ name: 'write', arguments: { path: 'fixture.json', content: inner } });
    expect(recover(reply).calls).toEqual([{ name: 'write', arguments: { path: 'fixture.json', content: inner }, form: 'json' }]);
  });

  it('returns a plain answer untouched, with no call and no problem', () => {
    const reply = '  The tests pass now: I changed `sum` in {src/math.ts} to handle "empty" arrays.\n';
    expect(recover(reply)).toEqual({ calls: [], text: reply.trim(), problems: [] });
    expect(recover('')).toEqual({ calls: [], text: '', problems: [] });
  });
});

describe('recoverToolCalls: <think> and <tool_call> (qwen3)', () => {
  it('recovers a <tool_call> after a <think> block', () => {
    const reply =
      '<think>\nOkay, the user wants the failing test fixed. I should read src/math.ts first.\n</think>\n\n<tool_call>\n{"name": "read", "arguments": {"path": "src/math.ts"}}\n</tool_call>';
    expect(recover(reply)).toEqual({ calls: [{ name: 'read', arguments: { path: 'src/math.ts' }, form: 'tool_call_tag' }], text: '', problems: [] });
  });

  it('drops thinking whose opening tag the template left out', () => {
    const reply = 'The user wants tests run.\n</think>\n\nRunning them.\n<tool_call>\n{"name": "bash", "arguments": {"command": "npm test"}}\n</tool_call>';
    const result = recover(reply);
    expect(result.calls).toEqual([{ name: 'bash', arguments: { command: 'npm test' }, form: 'tool_call_tag' }]);
    expect(result.text).toBe('Running them.');
  });

  it('drops an unclosed <think> up to the end, with any call inside it', () => {
    expect(recover('<think>\nMaybe {"name": "read", "arguments": {"path": "a"}} would help')).toEqual({ calls: [], text: '', problems: [] });
  });

  it('accepts an unclosed <tool_call> at the end of the reply', () => {
    expect(recover('<tool_call>\n{"name": "read", "arguments": {"path": "a.ts"}}').calls).toEqual([
      { name: 'read', arguments: { path: 'a.ts' }, form: 'tool_call_tag' },
    ]);
  });

  it('accepts a bare {"name"} inside <tool_call> for a tool without parameters', () => {
    expect(recover('<tool_call>{"name": "finish"}</tool_call>').calls).toEqual([{ name: 'finish', arguments: {}, form: 'tool_call_tag' }]);
  });

  it('recovers several <tool_call> blocks, closed or not', () => {
    const reply = '<tool_call>\n{"name": "read", "arguments": {"path": "a"}}\n<tool_call>\n{"name": "read", "arguments": {"path": "b"}}\n</tool_call>';
    expect(recover(reply).calls.map((call) => call.arguments.path)).toEqual(['a', 'b']);
  });

  it('reports a <tool_call> block holding broken JSON or no call', () => {
    expect(recover('<tool_call>\n{"name": "read", "arguments": {"path": "a"]}\n</tool_call>').problems).toEqual([
      expect.stringMatching(/^the call of "read" is not valid JSON/),
    ]);
    expect(recover('<tool_call>\nread the file\n</tool_call>').problems).toEqual([
      'the <tool_call> block does not hold a call of the form {"name": ..., "arguments": {...}}',
    ]);
  });

  it('reads <function=...> blocks inside <tool_call> (qwen3-coder)', () => {
    const reply = '<tool_call>\n<function=bash>\n<parameter=command>\nnpm test -- --run\n</parameter>\n</function>\n</tool_call>';
    expect(recover(reply)).toEqual({ calls: [{ name: 'bash', arguments: { command: 'npm test -- --run' }, form: 'function_tag' }], text: '', problems: [] });
  });

  it('separates the reasoning from the answer', () => {
    expect(stripThinking('<think> a </think>b<think>c</think>d')).toEqual({ text: 'bd', reasoning: 'a\n\nc' });
  });
});

describe('recoverToolCalls: [TOOL_CALLS] (mistral)', () => {
  it('recovers [TOOL_CALLS] followed by a JSON list', () => {
    const reply = '[TOOL_CALLS] [{"name": "bash", "arguments": {"command": "ls -la"}}, {"name": "read", "arguments": {"path": "a"}}]';
    expect(recover(reply)).toEqual({
      calls: [
        { name: 'bash', arguments: { command: 'ls -la' }, form: 'mistral' },
        { name: 'read', arguments: { path: 'a' }, form: 'mistral' },
      ],
      text: '',
      problems: [],
    });
  });

  it('recovers the single-quoted list some mistral templates produce', () => {
    expect(recover("[TOOL_CALLS][{'name': 'read', 'arguments': {'path': 'a.ts'}}]").calls).toEqual([
      { name: 'read', arguments: { path: 'a.ts' }, form: 'mistral' },
    ]);
  });

  it('recovers the newer [TOOL_CALLS]name[ARGS]{...} form, several in a row', () => {
    const reply = 'Checking.[TOOL_CALLS]read[ARGS]{"path": "a.ts"}[TOOL_CALLS]bash[CALL_ID]abc123[ARGS]{"command": "ls"}';
    const result = recover(reply);
    expect(result.calls).toEqual([
      { name: 'read', arguments: { path: 'a.ts' }, form: 'mistral' },
      { name: 'bash', arguments: { command: 'ls' }, form: 'mistral' },
    ]);
    expect(result.text).toBe('Checking.');
  });

  it('reports an unknown tool and unreadable content after [TOOL_CALLS]', () => {
    expect(recover('[TOOL_CALLS]deploy[ARGS]{"env": "prod"}').problems).toEqual(['unknown tool "deploy"']);
    expect(recover('[TOOL_CALLS] ???').problems).toEqual(['the call after [TOOL_CALLS] could not be read']);
  });
});

describe('recoverToolCalls: <function=...> blocks (qwen3-coder, text protocol)', () => {
  const content = [
    'import { useState } from "react";',
    '',
    "// it's a <Button>, not a {json} object",
    'export function Button({ label }: { label: string }) {',
    '  const [count, setCount] = useState<number>(0);',
    '  return <button onClick={() => setCount(count + 1)}>{`${label}: ${count}`}</button>;',
    '}',
    '',
  ].join('\n');

  it('keeps a multi-line value raw, with <, {, quotes and backticks', () => {
    const reply = `I'll create the button component.\n\n<function=write>\n<parameter=path>\nsrc/button.tsx\n</parameter>\n<parameter=content>\n${content}\n</parameter>\n</function>`;
    expect(recover(reply)).toEqual({
      calls: [{ name: 'write', arguments: { path: 'src/button.tsx', content }, form: 'function_tag' }],
      text: "I'll create the button component.",
      problems: [],
    });
  });

  it('trims exactly one newline at each end of a value', () => {
    const reply = '<function=write>\n<parameter=path>\na.txt\n</parameter>\n<parameter=content>\n\n  indented\n\n</parameter>\n</function>';
    expect(recover(reply).calls[0]?.arguments.content).toBe('\n  indented\n');
  });

  it('parses a value as JSON only where the schema gives a non-string type', () => {
    const reply = [
      '<function=grep>',
      '<parameter=pattern>\n42\n</parameter>',
      '<parameter=paths>\n["src", "test"]\n</parameter>',
      '<parameter=options>\n{"ignoreCase": true}\n</parameter>',
      '</function>',
    ].join('\n');
    expect(recover(reply).calls[0]?.arguments).toEqual({ pattern: '42', paths: ['src', 'test'], options: { ignoreCase: true } });
    const edit = recover('<function=edit>\n<parameter=path>\na\n</parameter>\n<parameter=replaceAll>\ntrue\n</parameter>\n</function>');
    expect(edit.calls[0]?.arguments).toEqual({ path: 'a', replaceAll: true });
    const bash = recover('<function=bash>\n<parameter=command>\nsleep 1\n</parameter>\n<parameter=timeout>\n 30 \n</parameter>\n</function>');
    expect(bash.calls[0]?.arguments).toEqual({ command: 'sleep 1', timeout: 30 });
  });

  it('keeps an unparsable typed value as the string the model wrote, for the tool to reject', () => {
    const reply = '<function=read>\n<parameter=path>\na\n</parameter>\n<parameter=offset>\nten\n</parameter>\n</function>';
    expect(recover(reply).calls[0]?.arguments).toEqual({ path: 'a', offset: 'ten' });
  });

  it('tolerates a missing </function> and a missing final </parameter>', () => {
    expect(recover('<function=read>\n<parameter=path>\nsrc/a.ts\n</parameter>\n').calls).toEqual([
      { name: 'read', arguments: { path: 'src/a.ts' }, form: 'function_tag' },
    ]);
    expect(recover('<function=bash>\n<parameter=command>\nnpm test\n').calls[0]?.arguments).toEqual({ command: 'npm test' });
  });

  it('keeps a </parameter> that is part of the value', () => {
    const value = 'Close each value with </parameter> on its own line.';
    const reply = `<function=write>\n<parameter=path>\nREADME.md\n</parameter>\n<parameter=content>\n${value}\n</parameter>\n</function>`;
    expect(recover(reply).calls[0]?.arguments.content).toBe(value);
  });

  it('recovers a call whose function tag has no parameters', () => {
    expect(recover('Done.\n<function=finish>\n</function>').calls).toEqual([{ name: 'finish', arguments: {}, form: 'function_tag' }]);
  });

  it('reports an unknown function but ignores a tag merely named in prose', () => {
    expect(recover('<function=deploy>\n<parameter=env>\nprod\n</parameter>\n</function>').problems).toEqual(['unknown tool "deploy"']);
    expect(recover('Use the form <function=NAME> to call.')).toEqual({ calls: [], text: 'Use the form <function=NAME> to call.', problems: [] });
  });

  it('keeps a parameter named __proto__ as a plain property', () => {
    const call = recover('<function=bash>\n<parameter=__proto__>\nx\n</parameter>\n</function>').calls[0];
    expect(Object.getPrototypeOf(call?.arguments)).toBe(Object.prototype);
    expect(Object.keys(call?.arguments ?? {})).toEqual(['__proto__']);
  });

  it('reads back what formatAssistantCallForText writes', () => {
    const call = { name: 'edit', arguments: { path: 'a.ts', oldString: 'a\n', newString: '\n`b`\n', replaceAll: false } };
    expect(recover(formatAssistantCallForText(call)).calls).toEqual([{ ...call, form: 'function_tag' }]);
  });
});

describe('recoverToolCalls: fenced JSON', () => {
  it('recovers a call in a ```json fence and removes the fence from the text', () => {
    const reply = 'I will run the tests.\n```json\n{"name": "bash", "arguments": {"command": "npm test"}}\n```';
    expect(recover(reply)).toEqual({ calls: [{ name: 'bash', arguments: { command: 'npm test' }, form: 'fenced_json' }], text: 'I will run the tests.', problems: [] });
  });

  it('recovers a ```tool_call fence, where a bare {"name"} is enough', () => {
    expect(recover('```tool_call\n{"name": "finish"}\n```').calls).toEqual([{ name: 'finish', arguments: {}, form: 'fenced_json' }]);
  });

  it('finds a <tool_call> inside an xml fence', () => {
    const result = recover('```xml\n<tool_call>\n{"name": "read", "arguments": {"path": "a"}}\n</tool_call>\n```\nok');
    expect(result.calls).toEqual([{ name: 'read', arguments: { path: 'a' }, form: 'tool_call_tag' }]);
    expect(result.text).toBe('ok');
  });
});

describe('recoverToolCalls: robustness', () => {
  const vocabulary = [
    '{', '}', '[', ']', '"', "'", '\\', ':', ',', ' ', '\n', 'x', 'read', '"name"', '"arguments"', '"read"', 'true',
    '<think>', '</think>', '<tool_call>', '</tool_call>', '<function=read>', '<function=', '<parameter=path>', '<parameter=',
    '</parameter>', '</function>', '[TOOL_CALLS]', '[ARGS]', '```', '```json\n', '```ts\n', '>', '<',
  ];
  const markup = fc.array(fc.constantFrom(...vocabulary), { maxLength: 60 }).map((parts) => parts.join(''));

  it('never throws on random text or random markup, and always returns strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), markup), (text) => {
        const result = recover(text);
        expect(Array.isArray(result.calls)).toBe(true);
        expect(typeof result.text).toBe('string');
        // The last-resort guard in recoverToolCalls must never be what kept it from throwing.
        for (const problem of result.problems) expect(problem).not.toMatch(/could not be read \(/);
        for (const call of result.calls) expect(tools.map((tool) => tool.name)).toContain(call.name);
      }),
      { numRuns: 500 },
    );
  });

  const argumentsArbitrary = fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z]{0,8}$/), fc.string({ maxLength: 40 }), { maxKeys: 4 });
  // Prose without the characters that start markup (tags, fences), but with JSON's brackets and quotes.
  const prose = fc.string({ maxLength: 80 }).map((text) => text.replace(/[<`]/g, ' '));
  // Closing brackets after the call could make it a value inside data ({"a": CALL}), which is not a call.
  const closingProse = prose.map((text) => text.replace(/[}\]]/g, ' '));

  it('finds a JSON call embedded in random prose', () => {
    fc.assert(
      fc.property(prose, closingProse, argumentsArbitrary, fc.boolean(), (before, after, args, pretty) => {
        const call = JSON.stringify({ name: 'bash', arguments: args }, null, pretty ? 2 : undefined);
        const result = recover(`${before}\n${call}\n${after}`);
        expect(result.calls).toContainEqual({ name: 'bash', arguments: args, form: 'json' });
      }),
      { numRuns: 500 },
    );
  });

  it('finds a <function=...> call embedded in random prose, values exactly as written', () => {
    const values = fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z]{0,8}$/), fc.string({ maxLength: 40 }).filter((value) => !value.includes('</')), {
      maxKeys: 4,
    });
    fc.assert(
      fc.property(prose, closingProse, values, (before, after, args) => {
        const result = recover(`${before}\n${formatAssistantCallForText({ name: 'finish', arguments: args })}\n${after}`);
        expect(result.calls).toEqual([{ name: 'finish', arguments: args, form: 'function_tag' }]);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['unterminated objects', '{"a'.repeat(30_000)],
    ['nested arrays', '[{'.repeat(50_000)],
    ['unclosed tags', '<tool_call><function=read><parameter=path>'.repeat(5_000)],
    ['parameters closed by function ends', '<function=read><parameter=a></function>'.repeat(5_000)],
    ['function tags without >', '<function='.repeat(20_000)],
    ['call heads', '{"name": "read", "arguments": '.repeat(5_000)],
    ['markers', '[TOOL_CALLS]'.repeat(10_000)],
    ['fences', '```json\n{"a\n'.repeat(10_000)],
  ])('stays near-linear on %s', (_, text) => {
    const started = performance.now();
    recover(text);
    // Quadratic behaviour on ~100-200 kB takes minutes; linear takes well under a second.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('handles a large file content value quickly', () => {
    const big = 'const x = { "a": [1, 2, 3] }; // <b>`c`</b>\n'.repeat(20_000);
    const started = performance.now();
    const result = recover(`<function=write>\n<parameter=path>\nbig.ts\n</parameter>\n<parameter=content>\n${big}\n</parameter>\n</function>`);
    expect(result.calls[0]?.arguments.content).toBe(big);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
