// Bundles the CLI (and with it the server) into one file: Node then loads one module instead of
// hundreds, which is most of what makes `npm start` fast. Packages that read files next to
// their own code at run time stay external, or are told where those files are (swagger-ui).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/wfhub.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'external',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  external: ['@electric-sql/pglite', 'pino-pretty', 'pg-native'],
  banner: {
    // CommonJS packages inside an ESM bundle still call require() and read __dirname.
    js: [
      "import { createRequire as __wfhubCreateRequire } from 'node:module';",
      "import { dirname as __wfhubDirname } from 'node:path';",
      "import { fileURLToPath as __wfhubFileURLToPath } from 'node:url';",
      'const require = __wfhubCreateRequire(import.meta.url);',
      'const __filename = __wfhubFileURLToPath(import.meta.url);',
      'const __dirname = __wfhubDirname(__filename);',
    ].join(' '),
  },
});
