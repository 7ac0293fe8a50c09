import { formatCaptureTime } from '../../util/iso-time.js';
import type { Frame } from '../frame.js';
import type { GraphNode, NodeOutput } from '../node.js';
import type { GraphPacket } from '../packet.js';

/**
 * Where captured packets enter the graph (a file, stdin, a live capture). It only counts
 * and, for traced packets, records what was captured; the next node does the work.
 */
export class CaptureInputNode implements GraphNode {
  readonly nextNodes: string[];

  constructor(
    readonly name: string,
    next: string,
  ) {
    this.nextNodes = [next];
  }

  process(frame: Frame, out: NodeOutput): void {
    out.forward(0, frame);
  }

  traceLines(pkt: GraphPacket): string[] {
    return [
      `frame ${pkt.seq + 1}: ${formatCaptureTime(pkt.tsSec, pkt.tsNsec)}, ${pkt.data.length} bytes captured, ${pkt.origLen} on wire, interface ${pkt.interfaceId}`,
    ];
  }
}

/** The drop reason of a packet the filter rejects. */
export const FILTER_MISMATCH = 'filter did not match';

/** Passes packets a predicate accepts and drops the rest (the pcap-filter of `read -f`). */
export class FilterNode implements GraphNode {
  readonly nextNodes: string[];

  constructor(
    readonly name: string,
    next: string,
    private readonly accepts: (pkt: GraphPacket) => boolean,
    private readonly expression: string,
  ) {
    this.nextNodes = [next];
  }

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      if (this.accepts(pkt)) out.enqueue(0, pkt);
      else out.drop(pkt, FILTER_MISMATCH);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    return [`${this.expression}: ${pkt.dropReason === null ? 'match' : 'no match'}`];
  }
}
