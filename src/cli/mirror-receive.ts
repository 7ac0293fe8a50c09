import { isIPv4, isIPv6 } from 'node:net';
import type { Command } from 'commander';
import { MIRROR_LIMITS } from '../mirror/types.js';
import type { ListenSpec, MirrorReceiveOutput } from '../mirror/receive-run.js';
import type { EntriesFormat } from '../pipeline/entries-run.js';
import type { ReadOutputFormat } from '../pipeline/read-capture.js';
import { UsageError } from '../util/errors.js';
import { collectTrace, parseChoice, parsePositiveInt, type TraceSpec } from './options.js';

export const MIRROR_RECEIVE_USAGE_CODES = {
  MIRROR_BAD_LISTEN: 'MIRROR_BAD_LISTEN',
  MIRROR_BAD_VNI: 'MIRROR_BAD_VNI',
  MIRROR_BAD_DURATION: 'MIRROR_BAD_DURATION',
  MIRROR_OPTION_CONFLICT: 'MIRROR_OPTION_CONFLICT',
} as const;
const U = MIRROR_RECEIVE_USAGE_CODES;

/** `ADDR[:PORT]`: an IPv4 literal, or an IPv6 literal (`[v6]:port`, `[v6]`, or bare `v6` without a port); port 0 picks a free one. */
export function parseListen(value: string): ListenSpec {
  const bad = (): UsageError =>
    new UsageError(
      U.MIRROR_BAD_LISTEN,
      `--listen takes ADDR[:PORT] with an IPv4 or IPv6 address (IPv6 with a port in brackets: [::1]:4789), not "${value}"`,
    );
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  if (bracketed !== null) {
    [, host, portText] = bracketed;
    if (!isIPv6(host)) throw bad();
  } else if (isIPv6(value)) {
    host = value;
  } else {
    const colon = value.lastIndexOf(':');
    host = colon < 0 ? value : value.slice(0, colon);
    portText = colon < 0 ? undefined : value.slice(colon + 1);
    if (!isIPv4(host)) throw bad();
  }
  if (portText === undefined) return { host, port: MIRROR_LIMITS.defaultVxlanPort };
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65_535) throw bad();
  return { host, port };
}

/** A VNI, 0..16777215 (24 bits). */
export function parseVni(value: string): number {
  const vni = Number(value);
  if (!/^\d{1,8}$/.test(value) || vni > MIRROR_LIMITS.maxVni) {
    throw new UsageError(U.MIRROR_BAD_VNI, `--vni must be 0..${MIRROR_LIMITS.maxVni}, not "${value}"`);
  }
  return vni;
}

/** Seconds (fractions allowed), greater than 0; returned in milliseconds. */
export function parseDurationMs(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(seconds > 0) || seconds > 2_000_000) {
    throw new UsageError(U.MIRROR_BAD_DURATION, `--duration takes a number of seconds > 0, not "${value}"`);
  }
  return Math.round(seconds * 1000);
}

interface ReceiveFlags {
  listen: ListenSpec;
  vni?: number;
  count?: number;
  duration?: number;
  write?: string;
  outFormat?: string;
  format?: string;
  filter?: string;
  quiet?: boolean;
  entries?: boolean;
  trace: TraceSpec[];
  stats?: boolean;
}

const PACKET_FORMATS: readonly ReadOutputFormat[] = ['text', 'json'];
const ENTRY_FORMATS: readonly EntriesFormat[] = ['table', 'jsonl', 'har'];
const OUT_FORMATS = ['pcap', 'pcapng'] as const;

function outputOf(flags: ReceiveFlags): MirrorReceiveOutput {
  if (flags.entries === true) {
    if (flags.write !== undefined || flags.outFormat !== undefined || flags.quiet === true) {
      throw new UsageError(
        U.MIRROR_OPTION_CONFLICT,
        '-w, --out-format and -q go with packet output, not --entries',
      );
    }
    return {
      kind: 'entries',
      format: parseChoice(flags.format ?? 'table', ENTRY_FORMATS, '--format', 'CLI_BAD_FORMAT'),
    };
  }
  const { quiet, write, outFormat } = flags;
  return {
    kind: 'packets',
    format: parseChoice(flags.format ?? 'text', PACKET_FORMATS, '--format', 'CLI_BAD_FORMAT'),
    quiet: quiet === true,
    write,
    outFormat:
      outFormat === undefined
        ? outFormat
        : parseChoice(outFormat, OUT_FORMATS, '--out-format', 'CLI_BAD_OUT_FORMAT'),
  };
}

/** Adds `receive` under the `mirror` command. */
export function registerMirrorReceiveCommand(mirror: Command): void {
  mirror
    .command('receive')
    .description(
      'Be a mirror destination: decapsulate VXLAN arriving on a UDP port and print, write or dissect the inner frames',
    )
    .requiredOption(
      '--listen <addr[:port]>',
      'address to listen on (port 4789 by default; [v6]:port for IPv6)',
      parseListen,
    )
    .option('--vni <n>', 'accept only this VNI (0..16777215); others are dropped and counted', parseVni)
    .option(
      '-c, --count <n>',
      'stop after n packets (output packets; with --entries, accepted packets)',
      parsePositiveInt,
    )
    .option('--duration <seconds>', 'stop after this many seconds', parseDurationMs)
    .option('-w, --write <file>', 'write the inner frames to a capture file (- for stdout)')
    .option('--out-format <format>', 'capture format for -w: pcap or pcapng')
    .option('-q, --quiet', 'do not print packets; print the packet count at the end')
    .option('--entries', 'dissect the inner frames into request/response entries instead of printing packets')
    .option('--format <format>', 'packets: text or json; --entries: table, jsonl or har')
    .option('-f, --filter <expression>', 'pcap-filter (tcpdump) expression applied to the inner frames')
    .option('--trace <node:count>', 'trace the next count packets entering node', collectTrace, [])
    .option('--stats', 'print show run (per-node counters) and drop reasons at the end')
    .action(async (flags: ReceiveFlags) => {
      const output = outputOf(flags);
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const { runMirrorReceive } = await import('../mirror/receive-run.js');
        const result = await runMirrorReceive({
          listen: flags.listen,
          vni: flags.vni,
          count: flags.count,
          durationMs: flags.duration,
          filter: flags.filter,
          output,
          traces: flags.trace,
          stats: flags.stats === true,
          signal: abort.signal,
        });
        if (result.error) process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
