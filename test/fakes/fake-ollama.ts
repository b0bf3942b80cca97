import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOllamaModel {
  name: string;
  parameter_size?: string;
}

/**
 * A stand-in for an Ollama server, answering the documented wire shapes. It grows with the agent
 * engine; for now it answers `/api/tags` and `/api/version`, and records every request.
 */
export class FakeOllama {
  readonly requests: { method: string; url: string }[] = [];
  models: FakeOllamaModel[] = [];
  /** When set, every request answers this status with an Ollama-style error body. */
  failWith: number | undefined;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private handle(request: IncomingMessage, response: ServerResponse) {
    this.requests.push({ method: request.method ?? 'GET', url: request.url ?? '/' });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    if (this.failWith) return send(this.failWith, { error: 'internal error' });
    if (request.method === 'GET' && request.url === '/api/version') return send(200, { version: '0.12.6' });
    if (request.method === 'GET' && request.url === '/api/tags') {
      return send(200, {
        models: this.models.map((model) => ({
          name: model.name,
          model: model.name,
          modified_at: '2026-11-01T10:00:00.000000000Z',
          size: 1_929_912_432,
          digest: 'f6daf2b25194a4d0b8b0f1ea0a3f8e6b7d2b0f6c1a4d7e8f9a0b1c2d3e4f5a6b',
          details: {
            parent_model: '',
            format: 'gguf',
            family: 'qwen2',
            families: ['qwen2'],
            parameter_size: model.parameter_size ?? '3.1B',
            quantization_level: 'Q4_K_M',
          },
        })),
      });
    }
    return send(404, { error: `unknown route ${request.method} ${request.url}` });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
