import type { FastifyInstance } from 'fastify';
import { isLoopbackHost } from '../config/config.js';
import { errorBody } from './http-schemas.js';

function hostName(hostHeader: string): string {
  // "[::1]:8002" -> "::1", "localhost:8002" -> "localhost"
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (bracketed) return bracketed[1]!;
  return hostHeader.replace(/:\d+$/, '');
}

/**
 * A web page the user visits must not be able to drive the hub. Browsers send "simple" requests
 * (text/plain, form and multipart bodies, which we accept as JSON) across sites without asking
 * first, and a DNS-rebinding page reaches 127.0.0.1 under its own host name. So:
 * - a request a browser marks as coming from another site, or whose Origin is not this server, is
 *   refused (scripts and curl send no Origin and are unaffected);
 * - without a token the server only answers to loopback host names.
 */
export function refuseCrossSite(app: FastifyInstance, options: { token: string | undefined }): void {
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host ?? '';
    if (!options.token && !isLoopbackHost(hostName(host))) {
      return reply
        .status(403)
        .send(
          errorBody(
            'host_not_allowed',
            `This server answers only to localhost addresses, not to "${host}". To serve other hosts, set WFHUB_TOKEN and WFHUB_HOST.`,
          ),
        );
    }
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    let foreign = site === 'cross-site';
    if (!foreign && origin !== undefined) {
      try {
        foreign = new URL(origin).host !== host;
      } catch {
        foreign = true;
      }
    }
    if (foreign) {
      return reply
        .status(403)
        .send(errorBody('cross_site_request', 'Requests from other web sites are refused. Call the API from a script or from the wfhub UI.'));
    }
  });
}
