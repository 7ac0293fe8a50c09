import type { Command } from 'commander';
import type { EntriesFormat } from '../pipeline/entries-run.js';
import { isSnapshotFile } from '../snapshot/snapshot-file.js';
import { UsageError } from '../util/errors.js';
import { collectTrace, parseChoice, type TraceSpec } from './options.js';

const FORMATS: readonly EntriesFormat[] = ['table', 'jsonl', 'har'];

export function registerEntriesCommand(program: Command): void {
  program
    .command('entries')
    .description('Dissect a capture into request/response entries (HTTP/1.x, HTTP/2, gRPC, Diameter, DNS)')
    .argument('<file>', 'capture file, snapshot (.tar.gz), or - for standard input')
    .option(
      '--format <format>',
      'table, jsonl (one entry per line) or har (HTTP-family entries as HAR 1.2)',
      'table',
    )
    .option('-f, --filter <expression>', 'pcap-filter (tcpdump) expression applied to packets first')
    .option('--trace <node:count>', 'trace the next count packets entering node', collectTrace, [])
    .option('--stats', 'print show run, drop reasons, stream protocols and anomalies at the end')
    .action(
      async (
        file: string,
        flags: { format: string; filter?: string; trace: TraceSpec[]; stats?: boolean },
      ) => {
        const format = parseChoice(flags.format, FORMATS, '--format', 'CLI_BAD_FORMAT');
        if (file !== '-' && isSnapshotFile(file)) {
          if (flags.filter !== undefined || flags.trace.length > 0 || flags.stats) {
            throw new UsageError(
              'CLI_SNAPSHOT_OPTION',
              'a snapshot holds entries already dissected: -f, --trace and --stats apply to capture files',
            );
          }
          const { storedEntries, withOpenedSnapshot } = await import('../snapshot/snapshot-input.js');
          const { writeEntries } = await import('../pipeline/entries-run.js');
          await withOpenedSnapshot(file, (store) => writeEntries(storedEntries(store), format));
          return;
        }
        const { runEntriesPipeline } = await import('../pipeline/entries-run.js');
        const result = await runEntriesPipeline({
          source: file,
          filter: flags.filter,
          format,
          traces: flags.trace,
          stats: flags.stats === true,
        });
        if (result.error) process.exitCode = 1;
      },
    );
}
