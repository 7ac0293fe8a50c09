import type { TraceSpec } from '../cli/options.js';
import { createFrameMatcher } from '../filter/index.js';
import { FILTER_MISMATCH } from '../graph/nodes/input-node.js';
import { GraphPacket } from '../graph/packet.js';
import { openCapture, type CaptureReader, type RecordGate } from '../pcap/index.js';
import { CAPTURE_FILTER, CAPTURE_INPUT } from './input-graph.js';

/**
 * Where a command-line pipeline's packets come from, and where its `-f` filter runs. For a
 * file or stdin opened here the filter runs in the reader, as libpcap runs a savefile's
 * filter before tcpdump sees the packet: a packet it rejects never becomes a record or a graph
 * packet, which was most of what a rejected packet cost. The graph keeps its pcap-filter
 * node when a trace must see the filter's verdicts (one armed on pcap-input or pcap-filter)
 * and for a reader opened elsewhere (a live receiver, a snapshot).
 */
export class CaptureSource {
  /** The expression the graph applies: the filter when the reader does not apply it. */
  readonly graphFilter: string | undefined;
  private readonly gate: RecordGate | undefined;
  private rejected = 0;

  constructor(
    private readonly source: string | CaptureReader,
    filter: string | undefined,
    traces: readonly TraceSpec[],
  ) {
    const traced = traces.some((t) => t.node === CAPTURE_INPUT || t.node === CAPTURE_FILTER);
    if (filter === undefined || typeof source !== 'string' || traced) {
      this.graphFilter = filter;
      return;
    }
    const matches = createFrameMatcher(filter);
    this.gate = (bytes, offset, caplen, origLen, linkType) => {
      if (matches(bytes, offset, caplen, origLen, linkType)) return true;
      this.rejected++;
      return false;
    };
  }

  /** A file path (not stdin, not a live reader): a batch run, whose I/O may block. */
  get isFile(): boolean {
    return typeof this.source === 'string' && this.source !== '-';
  }

  /**
   * Opens a capture path ('-' is standard input), or passes an already-open reader through.
   * The pipelines are command-line runs, so a file is read with blocking reads, and its
   * records go straight into the graph, so the reader makes graph packets.
   */
  open(): Promise<CaptureReader> {
    const source = this.source;
    if (typeof source !== 'string') return Promise.resolve(source);
    return openCapture(source === '-' ? process.stdin : source, {
      blockingReads: true,
      gate: this.gate,
      makeRecord: GraphPacket.fromWindow,
    });
  }

  /** `--stats` lines: the packets the reader's filter rejected, under the graph filter's drop reason. */
  stats(): Array<[string, ReadonlyMap<string, number>]> {
    if (this.gate === undefined) return [];
    return [[`${CAPTURE_FILTER}:`, new Map([[FILTER_MISMATCH, this.rejected]])]];
  }
}
