import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The UI is built into dist/web, which the server serves at /. During development, `npx vite
// web` proxies the API and its WebSockets (/ws/...) to a server running on 8002.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '^/(?!src/|@|node_modules/|assets/).+': { target: 'http://127.0.0.1:8002', ws: true } } },
});
