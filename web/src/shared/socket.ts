import { token } from './api.js';

/** base64url of UTF-8 text: a token in a form a WebSocket subprotocol may carry. */
function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Opens one of the server's WebSockets. A browser cannot set an Authorization header on a
 * WebSocket, so a saved token travels as the subprotocol `bearer.<base64url(token)>`; the
 * server answers with the plain `wfhub` protocol and never echoes the token.
 */
export function openSocket(path: string): WebSocket {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
  const saved = token.get();
  return saved ? new WebSocket(url, ['wfhub', `bearer.${base64url(saved)}`]) : new WebSocket(url);
}

export interface KeptSocket {
  /** Whether the socket is open now (a view polls while it is not). */
  isOpen(): boolean;
  close(): void;
}

/**
 * One of the server's WebSockets, opened again whenever it closes, after a pause that doubles
 * up to 15 s and starts over once the server says `ready`. `path` is read at each opening (to
 * resume after what was heard); `down` hears each close.
 */
export function keepSocketOpen(path: () => string, on: { message(data: { type?: string } & Record<string, unknown>): void; down(): void }): KeptSocket {
  let socket: WebSocket | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let pause = 500;
  let stopped = false;
  const open = () => {
    socket = openSocket(path());
    socket.onmessage = (event) => {
      const data = JSON.parse(String(event.data)) as { type?: string } & Record<string, unknown>;
      if (data.type === 'ready') pause = 500;
      on.message(data);
    };
    socket.onclose = () => {
      if (stopped) return;
      on.down();
      retry = setTimeout(open, pause);
      pause = Math.min(pause * 2, 15_000);
    };
  };
  open();
  return {
    isOpen: () => socket?.readyState === WebSocket.OPEN,
    close() {
      stopped = true;
      clearTimeout(retry);
      socket?.close();
    },
  };
}
