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
    restoreSeqOrder(pending);
    this.consumer.consume(pending);
    pending.clear();
  }
}

/**
 * Puts a vector's captured packets back in capture order, if they are not in it already
 * (packets that took one path arrive in order: rewriting a capture). Their seqs are distinct
 * numbers from one input vector, so each packet goes straight to its place (seq minus the
 * lowest) in a new array: sorting cost a comparator call per comparison, ~150 instructions
 * per packet, and an array kept from vector to vector is old, so storing each young packet
 * into it paid the write barrier's slow path. Anything else (seqs far apart, or one seen
 * twice) is sorted.
 */
function restoreSeqOrder(frame: Frame): void {
  const packets = frame.packets;
  const count = frame.count;
  let lowest = packets[0]!.seq;
  let highest = lowest;
  let ordered = true;
  for (let i = 1; i < count; i++) {
    const seq = packets[i]!.seq;
    if (seq > highest) highest = seq;
    else {
      ordered = false;
      if (seq < lowest) lowest = seq;
    }
  }
  if (ordered) return;
  const span = highest - lowest + 1;
  if (span > 4 * count) return sortBySeq(frame);
  const places = new Array<GraphPacket | undefined>(span);
  for (let i = 0; i < count; i++) {
    const pkt = packets[i]!;
    const at = pkt.seq - lowest;
    if (places[at] !== undefined) return sortBySeq(frame);
    places[at] = pkt;
  }
  // Without gaps (nothing dropped) the places are the vector.
  if (span === count) {
    frame.packets = places;
    return;
  }
  let next = 0;
  for (let at = 0; at < span; at++) {
    const pkt = places[at];
    if (pkt !== undefined) packets[next++] = pkt;
  }
}

function sortBySeq(frame: Frame): void {
  // Array.prototype.sort leaves the empty slots past `count` at the end.
  frame.packets.sort((a, b) => a!.seq - b!.seq);
}
