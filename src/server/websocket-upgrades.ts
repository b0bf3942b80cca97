import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The subprotocol wfhub's sockets speak: the only one the server ever answers. */
export const webSocketProtocol = 'wfhub';

/**
 * `handleProtocols` for ws: "wfhub" when the client offers it, else none. Never another of the
 * offered ones, since the token travels as one of them (`bearer.<base64url token>`).
 */
export function chooseProtocol(protocols: Set<string>): string | false {
  return protocols.has(webSocketProtocol) ? webSocketProtocol : false;
}

/** Whether the request came as an upgrade (Node's 'upgrade' event), not as plain HTTP. */
export function isUpgrade(request: FastifyRequest): boolean {
  return (request.raw as { upgrade?: boolean }).upgrade === true;
}

/**
 * An upgrade answered over HTTP (a missing token, a cross-site request, an unknown run, a bad
 * path) leaves a socket nobody closes: Node's HTTP server let go of it at the upgrade, and
 * @fastify/websocket closes it only when its own onRequest hook ran, which a refusal in an
 * earlier hook (or before any hook) skips. Left open by the client (a browser keeps it), it would
 * hold `server.close()` up for good. So such an answer says `connection: close`, and its socket is
 * destroyed once the answer is sent.
 */
export function closeAfterAnswer(request: FastifyRequest, reply: FastifyReply): void {
  if (!isUpgrade(request)) return;
  reply.header('connection', 'close');
  reply.raw.once('finish', () => request.raw.socket.destroy());
}

/** Every answer sent over HTTP to an upgrade request closes its connection (see closeAfterAnswer). */
export function closeRefusedUpgrades(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    closeAfterAnswer(request, reply);
    return payload;
  });
}

/** How a WebSocket presents the token, for the descriptions of the WebSocket routes. */
export const webSocketTokenNote =
  ' With a token on the server, send `Authorization: Bearer <token>`, or (a browser cannot set headers on a WebSocket) offer the subprotocols ' +
  '`wfhub` and `bearer.<the token in base64url, no padding>`: `new WebSocket(url, ["wfhub", "bearer." + base64url(token)])`. ' +
  'The server answers the subprotocol `wfhub`, never the token; a refused upgrade is answered 401 and its connection closed. The query string never carries the token.';
