import { once } from 'node:events';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { version } from '../../app/version.js';
import { createMcpServer } from '../../mcp/mcp-server.js';
import { connect } from '../connect.js';
import { configFrom, type GlobalOptions } from '../options.js';

export function mcpCommand(program: Command) {
  program
    .command('mcp')
    .description("serve wfhub's tools to an MCP client (an editor, an agent) over stdin/stdout")
    .addHelpText(
      'after',
      '\nStdout carries MCP messages only; notices go to stderr. It ends when stdin closes (after the calls in flight; ' +
        'runs it executes itself, with no server, are waited for) or on SIGTERM/Ctrl-C (those runs are interrupted).',
    )
    .action(async () => {
      const config = configFrom(program.opts<GlobalOptions>());
      const client = await connect(config);
      process.stderr.write(`wfhub mcp ${version}: serving over stdio, working on ${client.via}\n`);
      const { server, idle } = createMcpServer(client, {
        version,
        onError: (error, tool) => process.stderr.write(`error: ${tool} failed: ${(error as Error)?.stack ?? String(error)}\n`),
      });
      const transport = new StdioServerTransport();
      let interrupted = false;
      const interrupt = new Promise<void>((resolve) => {
        const stop = () => {
          interrupted = true;
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      // A stdin that fails is as good as closed.
      const ended = once(process.stdin, 'end').then(
        () => undefined,
        () => undefined,
      );
      await server.connect(transport);
      await Promise.race([ended, interrupt]);
      if (!interrupted) {
        // Calls still in flight get their answers before the transport goes.
        await Promise.race([idle(), interrupt]);
      }
      await server.close();
      const closing = client.close({ interruptRuns: interrupted });
      // A signal while the runs executing here are waited for interrupts them.
      void interrupt.then(() => client.close({ interruptRuns: true }));
      await closing;
    });
}
