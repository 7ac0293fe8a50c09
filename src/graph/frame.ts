import type { GraphPacket } from './packet.js';

/**
 * A vector of packets waiting at a node (VPP's frame). The packet array keeps its capacity
 * from vector to vector and `count` says how many slots are in use: emptying a JS array
 * with `length = 0` frees its backing store, and regrowing it cost more per packet than
 * the push itself. Slots past `count` are empty.
 */
export class Frame {
  packets: (GraphPacket | undefined)[] = [];
  count = 0;

  push(pkt: GraphPacket): void {
    this.packets[this.count++] = pkt;
  }

  /**
   * Adds every packet of `other` to the end of this frame. When this frame is empty the two
   * exchange their arrays, so the packets are not touched one by one, and `other` is left
   * empty; otherwise they are copied and `other` keeps them until its owner clears it (the
   * runtime still reads a processed frame's packets for their traces).
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
    for (let i = 0; i < other.count; i++) this.push(other.packets[i]!);
  }

  /**
   * Empties the frame, letting go of its packets: a stale reference would keep a packet (and
   * the reader's buffer it points into) alive into the old generation, and major collections
   * then cost more than the clearing.
   */
  clear(): void {
    // A loop of stores: Array.prototype.fill on a slice goes through the runtime.
    const packets = this.packets;
    for (let i = 0; i < this.count; i++) packets[i] = undefined;
    this.count = 0;
  }
}
