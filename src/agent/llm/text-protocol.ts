/**
 * The text protocol for models without working native tool calls: the OpenHands / qwen3-coder
 * shape `<function=NAME>\n<parameter=KEY>\nvalue\n</parameter>\n</function>`, one call per
 * message, reasoning before it. Values are raw and multi-line, because models write worse code
 * when it must be escaped into JSON (Aider's finding). Replies are read by `recoverToolCalls`
 * (its `function_tag` form), which also accepts a missing `</function>`: a stop word such as
 * `</function` may eat the closing tag, so nothing here depends on stop words.
 */
import type { ToolSpec } from './llm-types.js';

export interface TextProtocolOptions {
  /**
   * The example shown to the model. By default a made-up `write_file` call that shows a raw
   * multi-line value; a caller that knows its tools may show a real one instead.
   */
  readonly example?: { readonly reasoning: string; readonly call: CallForText };
}

/** A call to render: a recovered call, or a native one (whose arguments may not be an object). */
export interface CallForText {
  readonly name: string;
  readonly arguments: unknown;
}

const defaultExample: { reasoning: string; call: CallForText } = {
  reasoning: 'The greeting module does not exist yet, so I will create it.',
  call: {
    name: 'write_file',
    arguments: {
      path: 'src/greet.ts',
      content: 'export function greet(name: string): string {\n  return `Hello, "${name}"!`;\n}',
    },
  },
};

/** The system-prompt section that teaches the protocol and lists the tools. */
export function textProtocolInstructions(tools: readonly ToolSpec[], options: TextProtocolOptions = {}): string {
  const example = options.example ?? defaultExample;
  const exampleNote =
    options.example === undefined && !tools.some((tool) => tool.name === defaultExample.call.name)
      ? `This example uses a made-up tool, ${defaultExample.call.name}; call only the tools listed above.\n\n`
      : '';
  return [
    '# Tools',
    'You act by calling tools. To call a tool, write exactly this form:',
    '<function=TOOL_NAME>\n<parameter=PARAMETER_NAME>\nvalue\n</parameter>\n</function>',
    [
      'Rules:',
      '- At most one tool call per message. Write your reasoning first, then the call, and nothing after </function>.',
      '- Give each parameter its own <parameter=...> block, with the value on the lines between the tags.',
      '- Write values raw, exactly as they should be, over as many lines as needed: no quotes, no JSON escaping, no code fences. File contents go in as they are.',
      '- Write numbers, true/false, lists and objects as JSON: 3, true, ["a", "b"].',
      '- Leave out optional parameters you do not need.',
      '- The result comes back in the next message as <tool_result name="TOOL_NAME">...</tool_result>. Wait for it before the next call.',
    ].join('\n'),
    '## Available tools',
    ...tools.map(describeTool),
    '## Example',
    `${exampleNote}${example.reasoning}\n${formatAssistantCallForText(example.call)}`,
  ].join('\n\n');
}

/**
 * Wraps a tool's output for the user-role message that carries it back to the model.
 * `error` marks a failed call, so the model does not take an error text for file content.
 */
export function formatToolResultForText(name: string, output: string, options: { error?: boolean } = {}): string {
  const status = options.error ? ' status="error"' : '';
  return `<tool_result name="${name.replace(/["<>]/g, '')}"${status}>\n${output}\n</tool_result>`;
}

/**
 * Renders a call in the protocol's form for the history, so the model sees its past calls as
 * it should write them. Strings are written raw; other values as JSON. Arguments that are not
 * an object (a native call with unreadable JSON) are written as a JSON-string parameter named
 * `arguments`, so nothing the model sent is lost.
 */
export function formatAssistantCallForText(call: CallForText): string {
  const entries =
    typeof call.arguments === 'object' && call.arguments !== null && !Array.isArray(call.arguments)
      ? Object.entries(call.arguments)
      : call.arguments === undefined || call.arguments === null
        ? []
        : [['arguments', call.arguments] as const];
  const parameters = entries
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `<parameter=${key}>\n${typeof value === 'string' ? value : JSON.stringify(value)}\n</parameter>\n`);
  return `<function=${call.name}>\n${parameters.join('')}</function>`;
}

function describeTool(tool: ToolSpec): string {
  const properties = isRecord(tool.parameters.properties) ? tool.parameters.properties : {};
  const required = Array.isArray(tool.parameters.required) ? tool.parameters.required : [];
  const lines = Object.entries(properties).map(([key, schema]) => describeParameter(key, isRecord(schema) ? schema : {}, required.includes(key)));
  return [`### ${tool.name}`, tool.description.trim(), lines.length > 0 ? `Parameters:\n${lines.join('\n')}` : 'Parameters: none']
    .filter(Boolean)
    .join('\n');
}

function describeParameter(key: string, schema: Record<string, unknown>, required: boolean): string {
  const details: string[] = [typeLabel(schema), required ? 'required' : 'optional'];
  if (Array.isArray(schema.enum)) details.push(`one of: ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`);
  if (schema.default !== undefined) details.push(`default: ${JSON.stringify(schema.default)}`);
  const description = typeof schema.description === 'string' ? `: ${schema.description.trim()}` : '';
  return `- ${key} (${details.join(', ')})${description}`;
}

function typeLabel(schema: Record<string, unknown>): string {
  const { type } = schema;
  if (type === 'array' && isRecord(schema.items) && typeof schema.items.type === 'string') return `array of ${schema.items.type}`;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.join(' | ');
  const members = [schema.anyOf, schema.oneOf].find(Array.isArray) as unknown[] | undefined;
  if (members) return members.map((member) => (isRecord(member) ? typeLabel(member) : 'any')).join(' | ');
  return 'any';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
