import { Frame } from '../frame.js';
import type { GraphNode } from '../node.js';
import type { GraphPacket } from '../packet.js';

/** What the output node does with the packets of a vector that finished decoding. */
export interface PacketConsumer {
  /**
   * Whether the consumer needs the packets in capture order (it prints or writes them). One
   * that only counts them (`read -q`) is handed each frame's captured packets as the frame
   * arrives: putting a vector back in order cost ~90 instructions a packet.
   */
  readonly needsOrder: boolean;
  /** Captured packets, `frame.packets[0 .. frame.count)` (a vector's, in input order, when `needsOrder`); the frame is reused after the call. */
  consume(frame: Frame): void;
}

/**
 * The end of the decode path for `read`: hands the consumer the captured packets of each
 * vector in capture order (nodes reorder packets inside a vector: all IPv4 before all
 * IPv6, for instance). Packets the graph built itself (reassembled datagrams) are counted
 * but not printed, as their fragments already were. The frames that arrive are kept whole
 * (their arrays taken over, not their packets copied) until the vector has drained, and
 * their packets are then read once, to be put in order: copying each packet into a frame
 * of this node's, to read it again when ordering, cost ~75 instructions a packet more. A
 * consumer that does not need the order gets each frame as it arrives.
 */
export class PacketOutputNode implements GraphNode {
  readonly name = 'packet-output';
  readonly nextNodes: string[] = [];
  private arrived: Frame[] = [];
  derived = 0;

  constructor(private readonly consumer: PacketConsumer) {}

  process(frame: Frame): void {
    if (!this.consumer.needsOrder) return this.consumeAsArrived(frame);
    const kept = new Frame();
    kept.takeAll(frame);
    this.arrived.push(kept);
  }

  traceLines(pkt: GraphPacket): string[] {
    return [pkt.derived ? 'reassembled datagram decoded' : `consumed, ${pkt.layers.length} layers decoded`];
  }

  private consumeAsArrived(frame: Frame): void {
    const captured = withoutDerived(frame);
    this.derived += frame.count - captured.count;
    if (captured.count > 0) this.consumer.consume(captured);
  }

  endOfVector(): void {
    const arrived = this.arrived;
    if (arrived.length === 0) return;
    this.arrived = [];
    const { captured, derived } = inSeqOrder(arrived);
    this.derived += derived;
    if (captured.count > 0) this.consumer.consume(captured);
  }
}

/**
 * The captured packets of a vector's frames in capture order (`derived`: how many packets
 * the graph built were left out). A single frame already in order (a vector that took one
 * path: rewriting a capture) is the answer as it is. Otherwise their seqs are distinct
 * numbers from one input vector, so each packet goes straight to its place (seq minus the
 * lowest) in a new array: sorting cost a comparator call per comparison, ~150 instructions
 * per packet. Anything else (seqs far apart, or one seen twice) is sorted.
 */
function inSeqOrder(frames: readonly Frame[]): { captured: Frame; derived: number } {
  let derived = 0;
  let count = 0;
  let lowest = 0;
  let highest = 0;
  let ordered = frames.length === 1;
  for (const frame of frames) {
    const packets = frame.packets;
    for (let i = 0; i < frame.count; i++) {
      const pkt = packets[i]!;
      if (pkt.derived) {
        derived++;
        ordered = false;
        continue;
      }
      const seq = pkt.seq;
      if (count++ === 0) {
        lowest = seq;
        highest = seq;
      } else if (seq > highest) highest = seq;
      else {
        ordered = false;
        if (seq < lowest) lowest = seq;
      }
    }
  }
  if (ordered) return { captured: frames[0], derived };
  const span = highest - lowest + 1;
  const places = span > 4 * count ? null : placeBySeq(frames, lowest, span);
  const captured = places === null ? sortBySeq(frames, count) : Frame.of(withoutGaps(places, count));
  return { captured, derived };
}

/** The frame's captured packets: the frame itself when the graph built none of them. */
function withoutDerived(frame: Frame): Frame {
  const packets = frame.packets;
  const count = frame.count;
  let firstDerived = 0;
  while (firstDerived < count && !packets[firstDerived]!.derived) firstDerived++;
  if (firstDerived === count) return frame;
  const captured = new Frame();
  for (let i = 0; i < count; i++) if (!packets[i]!.derived) captured.push(packets[i]!);
  return captured;
}

/** The captured packets at their places (seq minus `lowest`), or null when two share a seq. */
function placeBySeq(
  frames: readonly Frame[],
  lowest: number,
  span: number,
): (GraphPacket | undefined)[] | null {
  const places = new Array<GraphPacket | undefined>(span);
  for (const frame of frames) {
    const packets = frame.packets;
    for (let i = 0; i < frame.count; i++) {
      const pkt = packets[i]!;
      if (pkt.derived) continue;
      const at = pkt.seq - lowest;
      if (places[at] !== undefined) return null;
      places[at] = pkt;
    }
  }
  return places;
}

/** The `count` packets held by `places`, in order: the places themselves when none is empty (nothing was dropped). */
function withoutGaps(places: (GraphPacket | undefined)[], count: number): GraphPacket[] {
  if (places.length === count) return places as GraphPacket[];
  const packets = new Array<GraphPacket>(count);
  let next = 0;
  for (const pkt of places) if (pkt !== undefined) packets[next++] = pkt;
  return packets;
}

function sortBySeq(frames: readonly Frame[], count: number): Frame {
  const packets = new Array<GraphPacket>(count);
  let next = 0;
  for (const frame of frames) {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      if (!pkt.derived) packets[next++] = pkt;
    }
  }
  // Stable: packets that share a seq stay in the order they arrived.
  return Frame.of(packets.sort((a, b) => a.seq - b.seq));
}
