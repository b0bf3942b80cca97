import type { ToolSpec } from '../llm/llm-types.js';
import { textProtocolInstructions } from '../llm/text-protocol.js';

export interface SystemPromptOptions {
  /** The role's directive (a node's), e.g. "You are the developer for this task...". */
  readonly directive?: string;
  readonly tools: readonly ToolSpec[];
  /** `text` adds the text protocol's instructions; `native` relies on the server's tool calling. */
  readonly protocol: 'native' | 'text';
  /** A few lines about the workspace (its files, languages), when known. */
  readonly workspaceSummary?: string;
}

const defaultDirective =
  'You are a careful software engineer working in a project folder. Do what the task asks, completely, by changing files in the workspace.';

/**
 * The system prompt: short and concrete, because small local models follow short, direct rules
 * better than long essays. The role's directive comes first, the working rules after.
 */
export function systemPrompt(options: SystemPromptOptions): string {
  const rules = [
    'Work by calling tools. Every file you create or change must be written with the write or edit tool; text in your reply does not change any file.',
    'Paths are relative to the workspace root. Read a file before you edit it.',
    'For a new or small file, write the whole file with write. For a small change in a large file, use edit with the exact text to replace.',
    'Lines shown by read start with "N: "; never copy those prefixes into files or edits.',
    'Call one tool at a time and look at its result before the next step.',
    'When the task is done, call finish with a short summary of what you changed. If you cannot do it, call finish and say why.',
  ];
  const sections = [
    options.directive?.trim() || defaultDirective,
    `Rules:\n${rules.map((rule) => `- ${rule}`).join('\n')}`,
  ];
  if (options.workspaceSummary) sections.push(`The workspace:\n${options.workspaceSummary.trim()}`);
  if (options.protocol === 'text') sections.push(textProtocolInstructions(options.tools));
  return sections.join('\n\n');
}
