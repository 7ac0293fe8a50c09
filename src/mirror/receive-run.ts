import type { TraceSpec } from '../cli/options.js';
import type { EntriesFormat } from '../pipeline/entries-run.js';
import type { ReadOutputFormat } from '../pipeline/read-capture.js';
import type { MeshtapError } from '../util/errors.js';
import { VXLAN_MALFORMED_REASONS } from './vxlan-decap.js';
import { formatListenAddress, VxlanReceiver, type VxlanReceiverCounters } from './vxlan-receiver.js';

/** Where the receiver listens: an IP literal and a UDP port (0 picks a free one). */
export interface ListenSpec {
  host: string;
  port: number;
}

/** Decoded packets (as `meshtap read` prints or writes them) or dissected entries (as `meshtap entries`). */
export type MirrorReceiveOutput =
  | {
      kind: 'packets';
      format: ReadOutputFormat;
      quiet: boolean;
      write?: string;
      outFormat?: 'pcap' | 'pcapng';
    }
  | { kind: 'entries'; format: EntriesFormat };

export interface MirrorReceiveOptions {
  listen: ListenSpec;
  vni?: number;
  /** Packets mode: stop after this many packets are output (past the filter, as `read -c`); entries mode: after this many are accepted. */
  count?: number;
  durationMs?: number;
  /** pcap-filter applied to the inner frames. */
  filter?: string;
  output: MirrorReceiveOutput;
  traces: readonly TraceSpec[];
  stats: boolean;
  /** Aborting ends the receive cleanly (what is queued is processed, files are completed). */
  signal?: AbortSignal;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface MirrorReceiveResult {
  /** Packets output (packets mode) or entries written (entries mode). */
  output: number;
  counters: VxlanReceiverCounters;
  error: MeshtapError | null;
}

/**
 * `meshtap mirror receive`: a VXLAN receiver as the capture source of the read or the
 * entries pipeline. It runs until the count is reached, the duration ends or the signal
 * aborts; the receiver's counters are printed to stderr at the end.
 */
export async function runMirrorReceive(opts: MirrorReceiveOptions): Promise<MirrorReceiveResult> {
  const stderr = opts.stderr ?? process.stderr;
  const entries = opts.output.kind === 'entries';
  // With a filter, `read -c` counts packets past it, so the receiver must not stop first.
  const maxPackets = entries || opts.filter === undefined ? opts.count : undefined;
  const receiver = await VxlanReceiver.open({ ...opts.listen, vni: opts.vni, maxPackets });
  const stop = (): void => receiver.stop();
  const timer = opts.durationMs === undefined ? undefined : setTimeout(stop, opts.durationMs);
  opts.signal?.addEventListener('abort', stop);
  if (opts.signal?.aborted === true) stop();
  const { address, port } = receiver.address;
  const which = opts.vni === undefined ? 'any VNI' : `VNI ${opts.vni}`;
  stderr.write(`meshtap: listening for VXLAN on ${formatListenAddress(address, port)} (${which})\n`);
  try {
    const result = await runPipeline(receiver, opts, stderr);
    writeReceiverCounters(stderr, receiver.counters);
    return { output: result.output, counters: receiver.counters, error: result.error };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', stop);
    await receiver.close();
  }
}

async function runPipeline(
  receiver: VxlanReceiver,
  opts: MirrorReceiveOptions,
  stderr: NodeJS.WritableStream,
): Promise<{ output: number; error: MeshtapError | null }> {
  const common = {
    source: receiver,
    filter: opts.filter,
    traces: opts.traces,
    stats: opts.stats,
    stdout: opts.stdout,
    stderr,
  };
  const output = opts.output;
  if (output.kind === 'entries') {
    const { runEntriesPipeline } = await import('../pipeline/entries-run.js');
    const r = await runEntriesPipeline({ ...common, format: output.format });
    return { output: r.entries, error: r.error };
  }
  const { format, quiet, write, outFormat } = output;
  const { runReadPipeline } = await import('../pipeline/read-capture.js');
  const r = await runReadPipeline({ ...common, format, quiet, write, outFormat, count: opts.count });
  return { output: r.packets, error: r.error };
}

/** The receiver's counters, one per line, in the layout of `--stats`' drop reasons. */
export function writeReceiverCounters(out: NodeJS.WritableStream, counters: VxlanReceiverCounters): void {
  const rows: Array<[number, string]> = [
    [counters.received, 'datagrams received'],
    [counters.accepted, 'accepted'],
    [counters.wrongVni, 'wrong VNI'],
    ...VXLAN_MALFORMED_REASONS.map((r): [number, string] => [counters.malformed[r], `malformed ${r}`]),
    [counters.queueDrops, 'queue drops'],
  ];
  out.write(rows.map(([count, label]) => `${String(count).padStart(12)}  ${label}\n`).join(''));
}
