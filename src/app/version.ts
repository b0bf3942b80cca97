import { readFileSync } from 'node:fs';

/** The package version, read once (the same path from `src/app` and from `dist/app`). */
export const version: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
