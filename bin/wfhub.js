#!/usr/bin/env node
// The compiled CLI; `npm install` builds it (the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('wfhub is not built yet: run `npm install` (or `npm run build`) in its folder.\n');
  process.exit(1);
}
await import(main.href);
