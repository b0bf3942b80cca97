import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The HTTP server under every fake: on 127.0.0.1, on a free port, a failed handler's request cut. */
export class LoopbackServer {
  private server: Server | undefined;

  /** Listens and answers the origin, such as http://127.0.0.1:40123. */
  async start(handle: (request: IncomingMessage, response: ServerResponse) => Promise<unknown>): Promise<string> {
    const server = createServer((request, response) => void handle(request, response).catch(() => response.destroy()));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Closes it, open connections (a stream left hanging) included. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
