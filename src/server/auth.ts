import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from './http-schemas.js';
import { isUpgrade, webSocketProtocol } from './websocket-upgrades.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered without a token (liveness, the UI's files): set on the route itself, never by path. */
    public?: boolean;
  }
}

/** A WebSocket subprotocol carrying the token: `bearer.<the token in base64url, no padding>`. */
export const tokenProtocolPrefix = 'bearer.';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The token the request presents: from `Authorization: Bearer`, or, on a WebSocket handshake
 * (browsers cannot set its headers), from a `bearer.<base64url>` subprotocol. Undefined when none
 * is presented; null when one is presented that cannot be read. Never from the query string.
 */
function presentedToken(request: FastifyRequest): string | null | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (bearer) return bearer[1]!.trim();
  if (!isUpgrade(request) || request.method !== 'GET') return undefined;
  const offered = String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((protocol) => protocol.trim())
    .find((protocol) => protocol.startsWith(tokenProtocolPrefix));
  if (offered === undefined) return undefined;
  const encoded = offered.slice(tokenProtocolPrefix.length);
  return /^[A-Za-z0-9_-]+$/.test(encoded) ? Buffer.from(encoded, 'base64url').toString('utf8') : null;
}

/**
 * With a token configured, every route needs it but those marked `config: { public: true }`
 * (`/health` and the UI's files): the route the router picked decides, so no spelling of a path
 * opens another route. Unknown paths need the token too.
 */
export function requireToken(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = digest(token);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.public === true) return;
    const presented = presentedToken(request);
    if (typeof presented === 'string' && timingSafeEqual(digest(presented), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="wfhub"');
    return reply.status(401).send(
      presented === undefined
        ? errorBody(
            'unauthorized',
            isUpgrade(request)
              ? `This server needs a token: offer the subprotocols "${webSocketProtocol}" and "${tokenProtocolPrefix}<base64url of WFHUB_TOKEN>", or send the header "Authorization: Bearer <WFHUB_TOKEN>".`
              : 'This server needs a token: send the header "Authorization: Bearer <WFHUB_TOKEN>".',
          )
        : errorBody('invalid_token', 'The token does not match WFHUB_TOKEN on this server.'),
    );
  });
}
