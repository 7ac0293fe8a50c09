import type { Frame } from '../frame.js';
import type { GraphNode } from '../node.js';
import type { GraphPacket } from '../packet.js';

/** What the output node does with each packet that finished decoding, in input order. */
export interface PacketConsumer {
  consume(pkt: GraphPacket): void;
}

/**
 * The end of the decode path for `read`: collects the packets of a vector and hands them to
 * the consumer in capture order (nodes reorder packets inside a vector: all IPv4 before all
 * IPv6, for instance). Packets the graph built itself (reassembled datagrams) are counted
 * but not printed, as their fragments already were.
 */
export class PacketOutputNode implements GraphNode {
  readonly name = 'packet-output';
  readonly nextNodes: string[] = [];
  private pending: GraphPacket[] = [];
  derived = 0;

  constructor(private readonly consumer: PacketConsumer) {}

  process(frame: Frame): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      if (pkt.derived) this.derived++;
      else this.pending.push(pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    return [pkt.derived ? 'reassembled datagram decoded' : `consumed, ${pkt.layers.length} layers decoded`];
  }

  endOfVector(): void {
    if (this.pending.length === 0) return;
    const packets = this.pending;
    // Packets that took one path arrive in order (rewriting a capture); checking is cheaper than a sort's comparator calls.
    if (!inSeqOrder(packets)) packets.sort((a, b) => a.seq - b.seq);
    this.pending = [];
    for (const pkt of packets) this.consumer.consume(pkt);
  }
}

function inSeqOrder(packets: readonly GraphPacket[]): boolean {
  for (let i = 1; i < packets.length; i++) if (packets[i - 1]!.seq > packets[i]!.seq) return false;
  return true;
}
