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
