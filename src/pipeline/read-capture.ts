import { createCaptureWriter, formatForPath, type CaptureReader, type CaptureWriter } from '../pcap/index.js';
import type { CaptureInterface } from '../pcap/record.js';
import { MeshtapError } from '../util/errors.js';
import type { TraceSpec } from '../cli/options.js';
import { buildRewriteGraph, CAPTURE_INPUT } from './input-graph.js';
import { PacketPrinter } from './packet-printer.js';
import type { ReadOutputFormat } from './packet-format.js';
import { armTraces, writeStats } from './stats.js';
import { feedCapture } from './feed-capture.js';
import { CaptureSource } from './capture-source.js';

export type { ReadOutputFormat } from './packet-format.js';

export interface ReadPipelineOptions {
  /** A file path, '-' for standard input, or an already-open reader (a live source such as the VXLAN receiver). */
  source: string | CaptureReader;
  count?: number;
  filter?: string;
  format: ReadOutputFormat;
  quiet: boolean;
  write?: string;
  outFormat?: 'pcap' | 'pcapng';
  traces: readonly TraceSpec[];
  stats: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface ReadResult {
  packets: number;
  error: MeshtapError | null;
}

/**
 * `meshtap read`: a capture file through the decode graph into a printer and/or a capture
 * writer. A damaged file still yields every packet before the damage; the damage is then
 * reported with its code and byte offset and the run ends with status 1.
 */
export async function runReadPipeline(opts: ReadPipelineOptions): Promise<ReadResult> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const input = new CaptureSource(opts.source, opts.filter, opts.traces);
  const reader = await input.open();
  // A live reader knows its interfaces before the first packet (a file reader only after it),
  // so its interface names and timestamp resolution can head the output file.
  const interfaces = typeof opts.source === 'string' ? undefined : [...reader.interfaces];
  // Reading a file is a batch run: its output file is written with blocking writes too.
  const writer =
    opts.write === undefined
      ? null
      : openWriter(opts.write, opts.outFormat, stdout, interfaces, input.isFile);
  // When the capture itself goes to stdout, everything else printed goes to stderr.
  const textOut = opts.write === '-' ? stderr : stdout;
  const print = !opts.quiet && opts.write === undefined;
  const printer = new PacketPrinter({
    formatPacket: print ? (await import('./packet-format.js')).packetFormatter(opts.format) : null,
    limit: opts.count,
    writer,
    out: textOut,
  });
  // Packets are decoded only when something looks at their layers: printing, JSON, traces.
  // The decoders are loaded only then: a rewrite starts without them.
  const decode = opts.write === undefined || opts.traces.length > 0;
  const graphOptions = { filter: input.graphFilter, consumer: printer };
  const graph = decode
    ? (await import('./read-graph.js')).buildReadGraph(graphOptions)
    : buildRewriteGraph(graphOptions);
  armTraces(graph, opts.traces);

  try {
    await feedCapture(reader, graph, async () => {
      await printer.drain();
      if (writer) await writer.flush();
      return printer.done;
    });
  } finally {
    if (writer) await writer.close();
  }

  if (opts.quiet) textOut.write(`${printer.consumed} packets\n`);
  if (opts.traces.length > 0) textOut.write(graph.tracer.show());
  if (opts.stats) writeStats(textOut, graph, CAPTURE_INPUT, input.stats());
  if (reader.error && !printer.done) {
    stderr.write(`meshtap: ${reader.error.message} [${reader.error.code}]\n`);
    return { packets: printer.consumed, error: reader.error };
  }
  return { packets: printer.consumed, error: null };
}

function openWriter(
  path: string,
  format: 'pcap' | 'pcapng' | undefined,
  stdout: NodeJS.WritableStream,
  interfaces: CaptureInterface[] | undefined,
  blockingWrites: boolean,
): CaptureWriter {
  return createCaptureWriter(path === '-' ? stdout : path, {
    format: format ?? formatForPath(path),
    interfaces,
    blockingWrites,
  });
}
