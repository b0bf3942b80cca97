import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './http-schemas.js';
import { isWebFile } from './web-app.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Routes that answer without a token: liveness only. */
const openRoutes = new Set(['/health']);

/** With a token configured, every route but `/health` and the UI's files needs `Authorization: Bearer <token>`. */
export function requireToken(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = digest(token);
  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      const pathname = request.url.split('?')[0]!;
      if (openRoutes.has(pathname) || isWebFile(pathname)) return;
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && timingSafeEqual(digest(match[1]!.trim()), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="wfhub"');
    return reply
      .status(401)
      .send(
        errorBody(
          match ? 'invalid_token' : 'unauthorized',
          match
            ? 'The token does not match WFHUB_TOKEN on this server.'
            : 'This server needs a token: send the header "Authorization: Bearer <WFHUB_TOKEN>".',
        ),
      );
  });
}
