import type { GraphPacket } from './packet.js';

/** The array of a cleared frame until its first push: shared by every such frame, so never written. */
const NOT_YET_MADE: (GraphPacket | undefined)[] = [];

/**
 * A vector of packets waiting at a node (VPP's frame). `count` says how many slots of the
 * packet array are in use; slots past it are empty.
 */
export class Frame {
  packets: (GraphPacket | undefined)[] = [];
  count = 0;
  /** The size of the array the next push after clear() makes. */
  private room = 0;

  /** A frame holding all of `packets`: it takes the array over, so the caller must not use it again. */
  static of(packets: GraphPacket[]): Frame {
    const frame = new Frame();
    frame.packets = packets;
    frame.count = packets.length;
    return frame;
  }

  push(pkt: GraphPacket): void {
    if (this.packets === NOT_YET_MADE) this.packets = new Array<GraphPacket | undefined>(this.room);
    this.packets[this.count++] = pkt;
  }

  /**
   * Adds every packet of `other` to the end of this frame. When this frame is empty the two
   * exchange their arrays, so the packets are not touched one by one, and `other` is left
   * empty; otherwise they are copied and `other` keeps them until its owner clears it (the
   * runtime still reads a processed frame's packets for their traces). The copy is made by
   * the array builtins: pushing the packets one by one cost ~80 instructions a packet, and
   * half of all packets took this way (tcp-input's and udp-input's both wait for
   * packet-output).
   */
  takeAll(other: Frame): void {
    if (this.count === 0) {
      const empty = this.packets;
      this.packets = other.packets;
      this.count = other.count;
      other.packets = empty;
      other.count = 0;
      return;
    }
    this.packets = this.used().concat(other.used());
    this.count += other.count;
  }

  /** The slots in use, as an array of their own when the frame's has room past them. */
  private used(): (GraphPacket | undefined)[] {
    return this.packets.length === this.count ? this.packets : this.packets.slice(0, this.count);
  }

  /**
   * Empties the frame, letting go of its packets. The next push starts a new array of `size`
   * slots (by default its count: room for a vector like the last). A stale reference would
   * keep a packet (and the reader's buffer it points into) alive into the old generation;
   * and an array kept from vector to vector is old itself, so every packet stored into it
   * paid the old-to-new write barrier's slow path (~65 instructions a packet at every node),
   * more than a young array costs. The array is made at the first push rather than here:
   * most frames are never pushed to, their node's next frame arriving whole (takeAll), and
   * filling arrays that were thrown away unused cost ~25 instructions a packet.
   */
  clear(size = this.count): void {
    this.packets = NOT_YET_MADE;
    this.count = 0;
    this.room = size;
  }
}

/**
 * The packets of `frame` split by where they go, packet i to `nexts[i]` (each below `ways`):
 * a new frame for each destination, its packets in frame order, listed in the order of each
 * destination's first packet. Each array is made to its size and each packet stored once,
 * and each frame then moves as a whole: pushing the packets one by one onto the next nodes'
 * frames cost ~115 instructions a packet split (IPv4's mix of TCP and UDP splits every
 * vector), and splitting brought `read -q` down by ~65 instructions a packet.
 */
export function splitFrame(frame: Frame, nexts: Uint16Array, ways: number): { next: number; frame: Frame }[] {
  const count = frame.count;
  const sizes = new Uint32Array(ways);
  const order: number[] = [];
  for (let i = 0; i < count; i++) if (sizes[nexts[i]]++ === 0) order.push(nexts[i]);
  const parts = new Array<GraphPacket[]>(ways);
  for (const next of order) parts[next] = new Array<GraphPacket>(sizes[next]);
  sizes.fill(0);
  const packets = frame.packets;
  for (let i = 0; i < count; i++) {
    const next = nexts[i];
    parts[next][sizes[next]++] = packets[i]!;
  }
  return order.map((next) => ({ next, frame: Frame.of(parts[next]) }));
}
