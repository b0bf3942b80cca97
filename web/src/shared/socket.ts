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
