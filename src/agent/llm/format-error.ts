/**
 * The message a model gets after a reply the loop could not act on: an invalid call, or neither
 * a call nor a final answer. Small models recover best from a short message that says what was
 * wrong, shows the exact shape once and names the tools (mini-swe-agent's format error). The loop
 * decides when to send it and ends the run after three in a row.
 */
import type { ToolSpec } from './llm-types.js';

export interface FormatErrorOptions {
  /**
   * The shape shown. `text` (the default) is the text protocol's `<function=...>` block, which
   * `recoverToolCalls` reads whatever the model's protocol, so it is safe for native-tool models
   * too; `json` shows `{"name": ..., "arguments": {...}}` instead.
   */
  readonly shape?: 'text' | 'json';
  /** A last line, e.g. how to finish: "When the task is done, call finish with a summary." */
  readonly hint?: string;
}

const MAX_PROBLEMS = 5;
const MAX_PROBLEM_LENGTH = 300;

/** @param problems what `recoverToolCalls` (or the loop) found wrong; empty when there was no call at all. */
export function formatErrorMessage(problems: readonly string[], tools: readonly ToolSpec[], options: FormatErrorOptions = {}): string {
  const shown = problems.slice(0, MAX_PROBLEMS).map((problem) => `- ${clip(problem)}`);
  if (problems.length > MAX_PROBLEMS) shown.push(`- and ${problems.length - MAX_PROBLEMS} more`);
  const names = tools.map((tool) => tool.name).join(', ');
  const lines = [
    problems.length === 0 ? 'Your last message had no tool call.' : `Your last message had no valid tool call:\n${shown.join('\n')}`,
    `Call one tool, in exactly this form:\n${expectedShape(options.shape ?? 'text')}`,
    `Available tools: ${names === '' ? '(none)' : names}.`,
  ];
  if (options.hint) lines.push(options.hint.trim());
  return lines.join('\n\n');
}

function expectedShape(shape: 'text' | 'json'): string {
  return shape === 'json'
    ? '{"name": "TOOL_NAME", "arguments": {"PARAMETER_NAME": "value"}}'
    : '<function=TOOL_NAME>\n<parameter=PARAMETER_NAME>\nvalue\n</parameter>\n</function>';
}

function clip(problem: string): string {
  const line = problem.replace(/\s+/g, ' ').trim();
  return line.length > MAX_PROBLEM_LENGTH ? `${line.slice(0, MAX_PROBLEM_LENGTH)}...` : line;
}
