// Bundles the CLI (and with it the server) into one file: Node then loads one module instead of
// hundreds, which is most of what makes `npm start` fast. Packages that read files next to
// their own code at run time stay external.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/wfhub.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'external',
  logLevel: 'warning',
  external: ['@electric-sql/pglite', '@fastify/swagger-ui', 'pino-pretty', 'pg-native'],
  banner: {
    // CommonJS packages inside an ESM bundle still call require().
    js: "import { createRequire as __wfhubCreateRequire } from 'node:module'; const require = __wfhubCreateRequire(import.meta.url);",
  },
});
