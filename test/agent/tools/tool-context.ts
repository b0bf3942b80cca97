import { realpathSync } from 'node:fs';
import type { ToolContext } from '../../../src/agent/tools/tool.js';

/** A tool context over a real folder: not cancelled, no sandbox, unless `overrides` says otherwise. */
export function toolContext(root: string, overrides?: Partial<ToolContext>): ToolContext {
  return {
    root: realpathSync(root),
    signal: new AbortController().signal,
    sandbox: { mode: 'off', allowNetwork: false, hiddenPaths: [], secretVariables: [] },
    ...overrides,
  };
}
