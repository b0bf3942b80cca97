import type { WebSocket } from 'ws';
import { errorBody } from './http-schemas.js';

/** A client this far behind (a stalled connection) is dropped rather than buffered without end. */
const maxBufferedBytes = 8 * 1024 * 1024;
/** How often a socket is pinged; one that did not answer the last ping is closed. */
const pingMs = 30_000;

/** What a WebSocket route answers over plain HTTP (with 426). */
export function upgradeRequired(path: string) {
  return errorBody('websocket_required', `${path} is a WebSocket: connect with a WebSocket client (ws://host:port${path}).`);
}

/** Sends JSON; false when the socket is gone or hopelessly behind (then closed). */
export function send(socket: WebSocket, message: unknown): boolean {
  if (socket.readyState !== socket.OPEN) return false;
  if (socket.bufferedAmount > maxBufferedBytes) {
    socket.close(1013, 'too far behind: reconnect and resume');
    return false;
  }
  socket.send(JSON.stringify(message));
  return true;
}

/** Pings the socket now and then, and closes one that stopped answering. */
export function keepAlive(socket: WebSocket): () => void {
  let alive = true;
  socket.on('pong', () => (alive = true));
  const timer = setInterval(() => {
    if (!alive) return socket.terminate();
    alive = false;
    socket.ping();
  }, pingMs);
  timer.unref();
  return () => clearInterval(timer);
}
