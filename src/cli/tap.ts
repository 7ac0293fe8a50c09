import type { Command } from 'commander';
import type { TapSource } from '../hub/tap.js';
import { UsageError } from '../util/errors.js';
import { defaultDataDir } from './hub-client.js';

/** `HOST:PORT`, `[v6]:PORT` or a bare port (on 127.0.0.1). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new UsageError('CLI_BAD_LISTEN', `--listen takes HOST:PORT (e.g. 127.0.0.1:8898), not "${value}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

export function registerTapCommand(program: Command): void {
  program
    .command('tap')
    .description(
      'Capture live traffic (or serve a capture/snapshot), store it, and serve the API and live entries',
    )
    .option('-i, --interface <name>', 'interface to capture on (default: any)')
    .option('--netns <name>', 'capture inside this network namespace (ip netns)')
    .option(
      '--params <tcpdump-params>',
      'more tcpdump parameters: -s, -B, -Q, -p and a filter expression',
      '',
    )
    .option('--pcap <file>', 'serve a capture file or a snapshot (.tar.gz) instead of live traffic')
    .option('--listen <host:port>', 'where the API listens', '127.0.0.1:8898')
    .option('--no-auth', 'serve without an API token (loopback addresses only)')
    .option('--data <dir>', 'data directory (store, hub database, token)', defaultDataDir())
    .option('--node <name>', 'this node’s name (default: the host name)')
    .option('--inventory <file>', 'YAML/JSON map of IPs or CIDRs to {name, namespace}')
    .option('--netns-names', 'name addresses after the local network namespaces that hold them')
    .option('--log-level <level>', 'structured log level (pino): fatal, error, warn, info, debug', 'info')
    .action(
      async (flags: {
        interface?: string;
        netns?: string;
        params: string;
        pcap?: string;
        listen: string;
        auth: boolean;
        data: string;
        node?: string;
        inventory?: string;
        netnsNames?: boolean;
        logLevel: string;
      }) => {
        const listen = parseListen(flags.listen);
        const { parseTcpdumpParams } = await import('../capture/tcpdump-params.js');
        const params = parseTcpdumpParams(
          `${flags.interface ? `-i ${flags.interface} ` : ''}${flags.params}`,
        );
        const source: TapSource = flags.pcap
          ? { kind: 'pcap', path: flags.pcap }
          : { kind: 'live', params, netns: flags.netns };
        // The hub (fastify, SQLite) loads only when a tap starts, not for every meshtap command.
        const { startTap } = await import('../hub/tap.js');
        const tap = await startTap({
          dataDir: flags.data,
          node: flags.node,
          host: listen.host,
          port: listen.port,
          noAuth: !flags.auth,
          source,
          inventory: flags.inventory,
          netnsNames: flags.netnsNames,
          logger: { level: flags.logLevel },
        });
        process.stderr.write(`meshtap tap: API on ${tap.url} (OpenAPI at ${tap.url}/api/openapi.json)\n`);
        if (tap.newToken) {
          process.stderr.write(`API token (shown once; kept in ${flags.data}/hub-token): ${tap.newToken}\n`);
        }
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await tap.stop();
      },
    );
}
