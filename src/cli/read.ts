import type { Command } from 'commander';
import { UsageError } from '../util/errors.js';
import type { ReadOutputFormat } from '../pipeline/read-capture.js';
import type { CaptureReader } from '../pcap/index.js';
import { isSnapshotFile } from '../snapshot/snapshot-file.js';
import { collectTrace, parseChoice, parsePositiveInt, type TraceSpec } from './options.js';

interface ReadFlags {
  count?: number;
  write?: string;
  outFormat?: string;
  format: string;
  filter?: string;
  trace: TraceSpec[];
  stats?: boolean;
  quiet?: boolean;
  numeric?: boolean;
}

const OUTPUT_FORMATS: readonly ReadOutputFormat[] = ['text', 'json'];
const OUT_FORMATS = ['pcap', 'pcapng'] as const;

export function registerReadCommand(program: Command): void {
  program
    .command('read')
    .description(
      'Read a capture file (pcap or pcapng, or - for stdin), decode and print or rewrite its packets',
    )
    .argument('<file>', 'capture file, snapshot (.tar.gz), or - for standard input')
    .argument('[expression...]', 'pcap-filter expression (same as -f)')
    .option('-c, --count <n>', 'stop after n packets', parsePositiveInt)
    .option(
      '-w, --write <file>',
      'write the packets to a capture file (- for stdout); format from the extension',
    )
    .option('--out-format <format>', 'capture format for -w: pcap or pcapng')
    .option('--format <format>', 'output: text (one line per packet) or json (one object per packet)', 'text')
    .option('-f, --filter <expression>', 'pcap-filter (tcpdump) expression')
    .option('-n, --numeric', 'do not resolve names (always the case; accepted for tcpdump habits)')
    .option('-q, --quiet', 'decode without printing packets; print the packet count at the end')
    .option(
      '--trace <node:count>',
      'trace the next count packets entering node; print show trace at the end',
      collectTrace,
      [],
    )
    .option('--stats', 'print show run (per-node counters) and drop reasons at the end')
    .action(async (file: string, expression: string[], flags: ReadFlags) => {
      if (file !== '-' && isSnapshotFile(file)) {
        // A snapshot's packets: every stream it holds, merged in time order.
        const { storedPackets, withOpenedSnapshot } = await import('../snapshot/snapshot-input.js');
        await withOpenedSnapshot(file, async (store) => {
          const packets = await storedPackets(store);
          try {
            await read(packets.reader, expression, flags);
          } finally {
            await packets.close();
          }
        });
        return;
      }
      await read(file, expression, flags);
    });
}

async function read(source: string | CaptureReader, expression: string[], flags: ReadFlags): Promise<void> {
  const { runReadPipeline } = await import('../pipeline/read-capture.js');
  const result = await runReadPipeline({
    source,
    count: flags.count,
    filter: mergeFilter(flags.filter, expression),
    format: parseChoice(flags.format, OUTPUT_FORMATS, '--format', 'CLI_BAD_FORMAT'),
    quiet: flags.quiet === true,
    write: flags.write,
    outFormat:
      flags.outFormat === undefined
        ? undefined
        : parseChoice(flags.outFormat, OUT_FORMATS, '--out-format', 'CLI_BAD_OUT_FORMAT'),
    traces: flags.trace,
    stats: flags.stats === true,
  });
  if (result.error) process.exitCode = 1;
}

function mergeFilter(flag: string | undefined, words: string[]): string | undefined {
  if (flag !== undefined && words.length > 0) {
    throw new UsageError(
      'CLI_FILTER_TWICE',
      'give the filter either with -f or as trailing arguments, not both',
    );
  }
  return flag ?? (words.length > 0 ? words.join(' ') : undefined);
}
