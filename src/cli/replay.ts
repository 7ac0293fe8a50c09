import type { Command } from 'commander';
import { DEFAULT_IGNORED_HEADERS, DEFAULT_RUN_OPTIONS } from '../replay/options.js';
import { formatReplayTable } from '../replay/report.js';
import { parseTupleSelector, type StreamSelector } from '../replay/select.js';
import { UsageError } from '../util/errors.js';
import { parseChoice, parsePositiveInt } from './options.js';

interface ReplayFlags {
  to: string;
  stream?: number;
  tuple?: string;
  tcp?: boolean;
  udp?: boolean;
  filter?: string;
  allowGaps?: boolean;
  wait: string;
  idle?: number;
  pace: string;
  speed?: number;
  count?: number;
  concurrency?: number;
  timeout?: number;
  runTimeout?: number;
  compare?: boolean;
  ignoreHeader: string[];
  json?: boolean;
  runs?: boolean;
}

const SAFETY = `
Safety: replay sends only to the HOST:PORT given with --to. The addresses recorded in the
capture are shown in the report but never connected to. Point --to at a server you own.`;

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      "Send a captured TCP/UDP stream's client payload again, turn by turn, to HOST:PORT (once or N times)",
    )
    .argument('<file>', 'capture file (a stream-store file holds one stream)')
    .requiredOption('--to <host:port>', 'the only destination replays are sent to ([ADDR]:PORT for IPv6)')
    .option('--stream <id>', 'the stream with this streamId (as `meshtap entries` prints it)', parseStreamId)
    .option('--tuple <tuple>', 'the stream between these endpoints: "[tcp|udp] ADDR:PORT ADDR:PORT"')
    .option('--tcp', 'only TCP streams')
    .option('--udp', 'only UDP streams (each datagram is one message)')
    .option('-f, --filter <expression>', 'pcap-filter (tcpdump) expression applied to the packets first')
    .option(
      '--allow-gaps',
      'replay a stream whose client bytes were not all captured (the lost bytes are skipped)',
    )
    .option(
      '--wait <mode>',
      'response: wait for each answer before the next message; none: do not',
      'response',
    )
    .option(
      '--idle <ms>',
      `an answer is over after this much quiet (default ${DEFAULT_RUN_OPTIONS.idleMs})`,
      parsePositiveInt,
    )
    .option('--pace <mode>', 'original: keep the captured time between messages; none: no delay', 'none')
    .option('--speed <x>', 'with --pace original: play this many times faster', parseSpeed)
    .option('--count <n>', 'replay n times (each on a new connection)', parsePositiveInt)
    .option('--concurrency <c>', 'at most c replays at once', parsePositiveInt)
    .option(
      '--timeout <ms>',
      `bound of each wait: connect, send, answer (default ${DEFAULT_RUN_OPTIONS.timeoutMs})`,
      parsePositiveInt,
    )
    .option(
      '--run-timeout <ms>',
      `bound of a whole run (default ${DEFAULT_RUN_OPTIONS.runTimeoutMs})`,
      parsePositiveInt,
    )
    .option('--compare', 'HTTP/1.x: compare each response (status, body size, headers) with the original')
    .option(
      '--ignore-header <name>',
      `a header --compare skips (besides ${DEFAULT_IGNORED_HEADERS.join(', ')})`,
      collect,
      [],
    )
    .option('--json', 'print the report as JSON')
    .option('--runs', 'list every run in the table (the default up to 20 runs)')
    .addHelpText('after', SAFETY)
    .action(async (file: string, flags: ReplayFlags) => {
      const { replayStreamFile } = await import('../replay/replay.js');
      const report = await replayStreamFile(file, {
        to: flags.to,
        select: selectorOf(flags),
        filter: flags.filter,
        allowGaps: flags.allowGaps === true,
        wait: parseChoice(flags.wait, ['response', 'none'] as const, '--wait', 'CLI_BAD_WAIT'),
        pace: parseChoice(flags.pace, ['original', 'none'] as const, '--pace', 'CLI_BAD_PACE'),
        speed: flags.speed,
        idleMs: flags.idle,
        count: flags.count,
        concurrency: flags.concurrency,
        timeoutMs: flags.timeout,
        runTimeoutMs: flags.runTimeout,
        compare: flags.compare === true,
        ignoreHeaders: [...DEFAULT_IGNORED_HEADERS, ...flags.ignoreHeader],
      });
      process.stdout.write(
        flags.json
          ? JSON.stringify(report, null, 2) + '\n'
          : formatReplayTable(report, flags.runs || undefined),
      );
      if (report.summary.failed > 0) process.exitCode = 1;
    });
}

function selectorOf(flags: ReplayFlags): StreamSelector {
  if (flags.tcp && flags.udp) throw new UsageError('CLI_BAD_TRANSPORT', 'give --tcp or --udp, not both');
  const select: StreamSelector = flags.tuple === undefined ? {} : parseTupleSelector(flags.tuple);
  const transport = flags.tcp ? 'tcp' : flags.udp ? 'udp' : undefined;
  if (transport !== undefined && select.transport !== undefined && select.transport !== transport)
    throw new UsageError('CLI_BAD_TRANSPORT', `--${transport} contradicts the --tuple protocol`);
  if (transport !== undefined) select.transport = transport;
  if (flags.stream !== undefined) select.streamId = flags.stream;
  return select;
}

function parseStreamId(value: string): number {
  return value === '0' ? 0 : parsePositiveInt(value);
}

function parseSpeed(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) {
    throw new UsageError('CLI_BAD_NUMBER', `--speed takes a positive number, not "${value}"`);
  }
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
