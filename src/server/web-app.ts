import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../core/package-root.js';

/** Where `npm install` (the prepare script) or `npm run build` puts the built UI. */
export const webDir = path.join(packageRoot, 'dist', 'web');

/**
 * The web UI at / and its files under /assets/. Its own routes live in the URL's hash, so they
 * never collide with the API's paths. Each file is a route of its own (no wildcard): any other
 * path is the API's, or its 404. The files hold no data, so each of their routes is public
 * (served without a token: the UI asks for one); nothing else is.
 */
export async function webApp(app: FastifyInstance): Promise<void> {
  if (!existsSync(path.join(webDir, 'index.html'))) {
    app.get('/', { schema: { hide: true }, config: { public: true } }, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>wfhub</title><p>The web UI is not built: run <code>npm run build</code> (or <code>npm install</code>), then restart the server. The API is at <a href="/docs">/docs</a>.</p>'),
    );
    return;
  }
  await app.register(async (files) => {
    // Every route made in here (one a file) is public; a copy, since each keeps its file in its config.
    files.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await files.register(fastifyStatic, {
      root: webDir,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      // Hashed file names never change: cache them for good; index.html is always asked again.
      setHeaders: (response, file) => {
        response.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  });
}
