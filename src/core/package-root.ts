import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding wfhub's package.json and migrations/, found by walking up from this file, so
 * the answer is the same from src/ (tests), dist/ (the compiled build) and a bundled entry point.
 */
export const packageRoot: string = (() => {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(directory, 'package.json')) && existsSync(path.join(directory, 'migrations'))) {
      return directory;
    }
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('Cannot find the wfhub package folder (package.json and migrations/)');
    directory = parent;
  }
})();
