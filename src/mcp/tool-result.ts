import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../core/errors.js';
import { ApiError } from '../app/hub-client.js';

/** A tool's answer: compact JSON as text (for any client) and as structured content. */
export function toolResult(value: Record<string, unknown>): CallToolResult {
  const text = JSON.stringify(value);
  return { content: [{ type: 'text', text }], structuredContent: JSON.parse(text) as Record<string, unknown> };
}

/** Errors the hub answers on purpose (not found, bad input, conflicts): their message is the answer. */
export function isExpectedError(error: unknown): boolean {
  return error instanceof AppError || error instanceof ApiError;
}

/** A failed call as a tool result the agent can read and act on, never a protocol error. */
export function toolError(error: unknown): CallToolResult {
  const message = error instanceof Error ? error.message : String(error);
  return { content: [{ type: 'text', text: message }], isError: true };
}
