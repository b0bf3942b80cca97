import { realpathSync } from 'node:fs';
import { expect } from 'vitest';
import { ToolError, type ToolContext } from '../../../src/agent/tools/tool.js';

/** A tool context over a real folder: not cancelled, no sandbox, unless `overrides` says otherwise. */
export function toolContext(root: string, overrides?: Partial<ToolContext>): ToolContext {
  return {
    root: realpathSync(root),
    signal: new AbortController().signal,
    sandbox: { mode: 'off', allowNetwork: false, hiddenPaths: [], secretVariables: [] },
    ...overrides,
  };
}

/** The ToolError a tool call was refused with (fails the test when it was not refused). */
export async function refusal(promise: Promise<unknown>): Promise<ToolError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ToolError);
  return error as ToolError;
}
