#!/usr/bin/env node
// The bundled CLI; `npm install` builds it (the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/wfhub.mjs', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('wfhub is not built yet: run `npm install` (or `npm run build`) in its folder.\n');
  process.exit(1);
}
if (process.env.WFHUB_DEBUG) process.setSourceMapsEnabled(true);
await import(main.href);
