import type { GraphPacket } from './packet.js';

/**
 * A vector of packets waiting at a node (VPP's frame). `count` says how many slots of the
 * packet array are in use; slots past it are empty.
 */
export class Frame {
  packets: (GraphPacket | undefined)[] = [];
  count = 0;

  /** A frame holding all of `packets`: it takes the array over, so the caller must not use it again. */
  static of(packets: GraphPacket[]): Frame {
    const frame = new Frame();
    frame.packets = packets;
    frame.count = packets.length;
    return frame;
  }

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
   * Empties the frame, letting go of its packets, by starting a new array of `size` slots
   * (by default its count: room for a vector like the last). A stale reference would keep a
   * packet (and the reader's buffer it points into) alive into the old generation; and an
   * array kept from vector to vector is old
   * itself, so every packet stored into it paid the old-to-new write barrier's slow path
   * (~65 instructions a packet at every node), more than a young array costs.
   */
  clear(size = this.count): void {
    this.packets = new Array<GraphPacket | undefined>(size);
    this.count = 0;
  }
}
