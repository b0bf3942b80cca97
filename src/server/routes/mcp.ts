import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Services } from '../../app/services.js';
import { version } from '../../app/version.js';
import { servicesClient } from '../../app/services-client.js';
import { createMcpServer } from '../../mcp/mcp-server.js';
import { errorBody, errorSchema } from '../http-schemas.js';
import type { App } from '../route-helpers.js';

const tags = ['mcp'];

/**
 * MCP over streamable HTTP, stateless: each POST gets a server and a transport of its own, so
 * nothing is kept between requests and any process serving the API can answer. The tools call
 * this server's services; the runs they trigger go to its scheduler like any other.
 */
export function mcpRoutes(app: App, services: Services) {
  const client = servicesClient(services, { via: 'this wfhub server', executeRuns: false });

  app.post('/mcp', {
    schema: {
      tags,
      summary: "wfhub's tools for MCP clients (streamable HTTP, stateless): a JSON-RPC message in, its answer out",
      description:
        'Point an MCP client at this URL (with `Authorization: Bearer <WFHUB_TOKEN>` when the server has a token). ' +
        'The client must accept application/json and text/event-stream; answers are JSON.',
    },
    handler: async (request, reply) => {
      const { server } = createMcpServer(client, {
        version,
        onError: (error, tool) => request.log.error({ err: error, tool }, 'MCP tool failed'),
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      reply.raw.once('close', () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        // The body is already parsed (JSON whatever the content-type); none at all is not a message.
        await transport.handleRequest(request.raw, reply.raw, request.body ?? null);
      } catch (error) {
        request.log.error({ err: error }, 'MCP request failed');
        if (reply.raw.headersSent) return void reply.raw.end();
        const body = errorBody('internal_error', `Something went wrong on the server. The log has the details under request id ${request.id}.`);
        reply.raw.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
      }
    },
  });

  // Stateless: no session to hold a stream of server messages (GET) or to end (DELETE).
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      schema: { tags, summary: 'Not used: this MCP endpoint is stateless (405)', response: { 405: errorSchema } },
      handler: async (_request, reply) =>
        reply
          .status(405)
          .header('allow', 'POST')
          .send(errorBody('method_not_allowed', 'This MCP endpoint is stateless: send each JSON-RPC message with POST /mcp.')),
    });
  }
}
