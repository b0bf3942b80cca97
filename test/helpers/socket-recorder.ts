import WebSocket from 'ws';

/** A WebSocket client that keeps every message it got, and says how the socket closed. */
export class SocketRecorder {
  readonly messages: any[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(String(data))));
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Opens a socket; rejects with the HTTP status when the server refuses the upgrade. */
  static open(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<SocketRecorder> {
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    const recorder = new SocketRecorder(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(recorder));
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode, body: JSON.parse(body) })));
      });
      socket.once('error', reject);
    });
  }

  /** Resolves with the first message (from the start) that `match` accepts. */
  async next(match: (message: any) => boolean, timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such message; got ${JSON.stringify(this.messages.map((message) => message.type))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close() {
    this.socket.close();
  }
}
