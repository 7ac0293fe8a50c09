import type { Command } from 'commander';
import { addHubOptions, hubConnection, type HubFlags, hubRequest } from './hub-client.js';
import { parsePositiveInt } from './options.js';

/** `meshtap trace add|show|clear` and `meshtap show run` against a running hub's live graph. */
export function registerTraceCommands(program: Command): void {
  const trace = program
    .command('trace')
    .description("The live processing graph's packet tracer (on a running hub)");
  addHubOptions(
    trace
      .command('add')
      .description('Trace the next COUNT packets entering NODE')
      .argument('<node>')
      .argument('<count>', 'packets', parsePositiveInt),
  ).action(async (node: string, count: number, flags: HubFlags) => {
    await hubRequest(hubConnection(flags), 'POST', '/api/trace', { node, count });
    process.stdout.write(`tracing the next ${count} packets entering ${node}\n`);
  });
  addHubOptions(trace.command('show').description('Print the traced packets')).action(
    async (flags: HubFlags) => {
      process.stdout.write(await (await hubRequest(hubConnection(flags), 'GET', '/api/trace')).text());
    },
  );
  addHubOptions(trace.command('clear').description('Forget traced packets and disarm the tracer')).action(
    async (flags: HubFlags) => {
      await hubRequest(hubConnection(flags), 'DELETE', '/api/trace');
    },
  );
  const show = program.command('show').description('Show live graph state (on a running hub)');
  addHubOptions(
    show.command('run').description('Per-node Calls, Vectors, Suspends, Clocks, Vectors/Call'),
  ).action(async (flags: HubFlags) => {
    process.stdout.write(await (await hubRequest(hubConnection(flags), 'GET', '/api/run')).text());
  });
}
