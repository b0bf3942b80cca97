import type { ToolSpec } from '../llm/llm-types.js';

/** The tool a model calls to end its run; the loop handles it itself. */
export const finishToolSpec: ToolSpec = {
  name: 'finish',
  description:
    'Call this when the task is done (or cannot be done), with a short summary for the user: what you changed, in which files, and anything left to do.',
  parameters: {
    type: 'object',
    properties: { summary: { type: 'string', description: 'What you did, in a few sentences.' } },
    required: ['summary'],
    additionalProperties: false,
  },
};

/** The summary a finish call carries, tolerating a bare string or a differently named field. */
export function finishSummary(args: unknown): string {
  if (typeof args === 'string') return args.trim();
  if (args && typeof args === 'object') {
    const record = args as Record<string, unknown>;
    const value = record.summary ?? record.message ?? record.result ?? record.answer ?? Object.values(record).find((item) => typeof item === 'string');
    if (typeof value === 'string') return value.trim();
  }
  return '';
}
