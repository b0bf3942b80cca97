import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatErrorMessage } from '../../../src/agent/llm/format-error.js';
import type { ToolSpec } from '../../../src/agent/llm/llm-types.js';
import { formatAssistantCallForText, formatToolResultForText, textProtocolInstructions } from '../../../src/agent/llm/text-protocol.js';
import { recoverToolCalls } from '../../../src/agent/llm/tool-call-recovery.js';

const read: ToolSpec = {
  name: 'read',
  description: 'Read a file of the workspace, with line numbers.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'The file, relative to the workspace root.' },
      offset: { type: 'integer', description: 'The first line to show.', default: 1 },
    },
    required: ['path'],
  },
};
const write: ToolSpec = {
  name: 'write',
  description: 'Write a whole file.',
  parameters: {
    type: 'object',
    properties: { path: { type: 'string' }, content: { type: 'string', description: 'The whole new content.' } },
    required: ['path', 'content'],
  },
};
const grep: ToolSpec = {
  name: 'grep',
  description: 'Search the files.',
  parameters: {
    type: 'object',
    properties: {
      pattern: { type: 'string' },
      include: { type: 'array', items: { type: 'string' } },
      mode: { enum: ['content', 'files'] },
      limit: { type: ['integer', 'null'] },
    },
    required: ['pattern'],
  },
};
const finish: ToolSpec = { name: 'finish', description: 'End the run.', parameters: { type: 'object', properties: {} } };
const tools = [read, write, grep, finish];

describe('textProtocolInstructions', () => {
  const instructions = textProtocolInstructions(tools);

  it('explains the <function=...> form, one call per message, reasoning first, raw values', () => {
    expect(instructions).toContain('<function=TOOL_NAME>\n<parameter=PARAMETER_NAME>\nvalue\n</parameter>\n</function>');
    expect(instructions).toContain('At most one tool call per message');
    expect(instructions).toContain('reasoning first');
    expect(instructions).toContain('no JSON escaping');
    expect(instructions).toContain('<tool_result name="TOOL_NAME">');
  });

  it('lists every tool with its description and each parameter with type, required and description', () => {
    expect(instructions).toContain('### read\nRead a file of the workspace, with line numbers.\nParameters:');
    expect(instructions).toContain('- path (string, required): The file, relative to the workspace root.');
    expect(instructions).toContain('- offset (integer, optional, default: 1): The first line to show.');
    expect(instructions).toContain('- content (string, required): The whole new content.');
    expect(instructions).toContain('- include (array of string, optional)');
    expect(instructions).toContain('- mode (any, optional, one of: "content", "files")');
    expect(instructions).toContain('- limit (integer | null, optional)');
    expect(instructions).toContain('### finish\nEnd the run.\nParameters: none');
  });

  it('shows an example that the recovery reads back, and says when its tool is made up', () => {
    const example = instructions.slice(instructions.indexOf('## Example'));
    expect(example).toContain('made-up tool, write_file');
    const recovered = recoverToolCalls(example, [{ name: 'write_file', description: '', parameters: {} }]);
    expect(recovered.calls).toEqual([
      {
        name: 'write_file',
        arguments: { path: 'src/greet.ts', content: 'export function greet(name: string): string {\n  return `Hello, "${name}"!`;\n}' },
        form: 'function_tag',
      },
    ]);
  });

  it('shows the example a caller gives, without the made-up-tool note', () => {
    const text = textProtocolInstructions(tools, { example: { reasoning: 'First I read the file.', call: { name: 'read', arguments: { path: 'src/a.ts' } } } });
    expect(text).toContain('First I read the file.\n<function=read>\n<parameter=path>\nsrc/a.ts\n</parameter>\n</function>');
    expect(text).not.toContain('made-up');
  });
});

describe('formatToolResultForText', () => {
  it('wraps the output in a <tool_result> tag naming the tool', () => {
    expect(formatToolResultForText('read', '1: hello')).toBe('<tool_result name="read">\n1: hello\n</tool_result>');
  });

  it('marks a failed call', () => {
    expect(formatToolResultForText('bash', 'exit code 1', { error: true })).toBe('<tool_result name="bash" status="error">\nexit code 1\n</tool_result>');
  });
});

describe('formatAssistantCallForText', () => {
  it('writes strings raw and other values as JSON', () => {
    expect(formatAssistantCallForText({ name: 'grep', arguments: { pattern: 'a"b`c', include: ['*.ts'], limit: 5 } })).toBe(
      '<function=grep>\n<parameter=pattern>\na"b`c\n</parameter>\n<parameter=include>\n["*.ts"]\n</parameter>\n<parameter=limit>\n5\n</parameter>\n</function>',
    );
  });

  it('writes a call without arguments, and keeps arguments that are not an object', () => {
    expect(formatAssistantCallForText({ name: 'finish', arguments: {} })).toBe('<function=finish>\n</function>');
    expect(formatAssistantCallForText({ name: 'read', arguments: '{"path": ' })).toBe('<function=read>\n<parameter=arguments>\n{"path": \n</parameter>\n</function>');
  });

  it('round-trips through recoverToolCalls for any typed arguments', () => {
    const args = fc.record(
      {
        pattern: fc.string({ maxLength: 60 }).filter((value) => !value.includes('</parameter>')),
        include: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
        limit: fc.oneof(fc.integer(), fc.constant(null)),
      },
      { requiredKeys: ['pattern'] },
    );
    fc.assert(
      fc.property(args, (value) => {
        const recovered = recoverToolCalls(formatAssistantCallForText({ name: 'grep', arguments: value }), tools);
        expect(recovered.calls).toEqual([{ name: 'grep', arguments: value, form: 'function_tag' }]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('formatErrorMessage', () => {
  it('names the problem, shows the expected form and lists the tools', () => {
    expect(formatErrorMessage(['unknown tool "bash_exec"'], tools)).toBe(
      [
        'Your last message had no valid tool call:\n- unknown tool "bash_exec"',
        'Call one tool, in exactly this form:\n<function=TOOL_NAME>\n<parameter=PARAMETER_NAME>\nvalue\n</parameter>\n</function>',
        'Available tools: read, write, grep, finish.',
      ].join('\n\n'),
    );
  });

  it('says there was no call when there is no problem to name, and adds the hint', () => {
    const message = formatErrorMessage([], tools, { hint: 'When the task is done, call finish with a summary.' });
    expect(message.startsWith('Your last message had no tool call.')).toBe(true);
    expect(message.endsWith('When the task is done, call finish with a summary.')).toBe(true);
  });

  it('can show the JSON form instead', () => {
    expect(formatErrorMessage([], tools, { shape: 'json' })).toContain('{"name": "TOOL_NAME", "arguments": {"PARAMETER_NAME": "value"}}');
  });

  it('stays short when there are many or long problems', () => {
    const problems = Array.from({ length: 9 }, (_, index) => `problem ${index} ${'x'.repeat(1000)}`);
    const message = formatErrorMessage(problems, tools);
    expect(message).toContain('- and 4 more');
    expect(message).not.toContain('problem 5');
    expect(message.length).toBeLessThan(2_000);
  });

  it('shows a problem recoverToolCalls reports for broken JSON on one line', () => {
    const { problems } = recoverToolCalls('{"name": "read", "arguments": {"path": "a" "offset": 2}}', tools);
    const message = formatErrorMessage(problems, tools);
    expect(message).toMatch(/^Your last message had no valid tool call:\n- the call of "read" is not valid JSON \(.+\)\n\n/);
  });
});
