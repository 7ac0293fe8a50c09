import { Frame } from '../frame.js';
import type { GraphNode } from '../node.js';
import type { GraphPacket } from '../packet.js';

/** What the output node does with the packets of a vector that finished decoding. */
export interface PacketConsumer {
  /** The vector's captured packets, `frame.packets[0 .. frame.count)` in input order; the frame is reused after the call. */
  consume(frame: Frame): void;
}

/**
 * The end of the decode path for `read`: collects the packets of a vector and hands them to
 * the consumer in capture order (nodes reorder packets inside a vector: all IPv4 before all
 * IPv6, for instance). Packets the graph built itself (reassembled datagrams) are counted
 * but not printed, as their fragments already were. The collecting frame is kept from
 * vector to vector: a fresh array per vector grew through Array.prototype.push's builtin.
 */
export class PacketOutputNode implements GraphNode {
  readonly name = 'packet-output';
  readonly nextNodes: string[] = [];
  private readonly pending = new Frame();
  derived = 0;

  constructor(private readonly consumer: PacketConsumer) {}

  process(frame: Frame): void {
    const pending = this.pending;
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      if (pkt.derived) this.derived++;
      else pending.push(pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    return [pkt.derived ? 'reassembled datagram decoded' : `consumed, ${pkt.layers.length} layers decoded`];
  }

  endOfVector(): void {
    const pending = this.pending;
    if (pending.count === 0) return;
    // Packets that took one path arrive in order (rewriting a capture); checking is cheaper than a sort's comparator calls.
    // Array.prototype.sort leaves the empty slots past `count` at the end.
    if (!inSeqOrder(pending)) pending.packets.sort((a, b) => a!.seq - b!.seq);
    this.consumer.consume(pending);
    pending.clear();
  }
}

function inSeqOrder(frame: Frame): boolean {
  const packets = frame.packets;
  for (let i = 1; i < frame.count; i++) if (packets[i - 1]!.seq > packets[i]!.seq) return false;
  return true;
}
