import type { Frame } from '../frame.js';
import type { GraphNode, NodeOutput } from '../node.js';
import type { GraphPacket } from '../packet.js';

/** Sends each packet to the decode node of its link type (ethernet-input, sll-input, ...). */
export class LinkInputNode implements GraphNode {
  readonly name = 'link-input';
  readonly nextNodes: string[];
  private readonly byLinkType = new Map<number, number>();

  /** `routes` maps link types to node names; unknown link types go to `doneNode` undecoded. */
  constructor(
    routes: ReadonlyMap<number, string>,
    doneNode: string,
    private readonly linkTypeName: (linkType: number) => string,
  ) {
    this.nextNodes = [doneNode, ...new Set(routes.values())];
    for (const [linkType, node] of routes) this.byLinkType.set(linkType, this.nextNodes.indexOf(node));
  }

  process(frame: Frame, out: NodeOutput): void {
    const packets = frame.packets;
    const count = frame.count;
    if (count === 0) return;
    // A capture file has one link type (pcapng: one per interface, and most have one), so
    // the vector usually goes on whole, without handing on its packets one by one.
    const linkType = packets[0]!.linkType;
    let same = 1;
    while (same < count && packets[same]!.linkType === linkType) same++;
    if (same === count) return out.forward(this.byLinkType.get(linkType) ?? 0, frame);
    for (let i = 0; i < count; i++) {
      const pkt = packets[i]!;
      out.enqueue(this.byLinkType.get(pkt.linkType) ?? 0, pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const known = this.byLinkType.has(pkt.linkType) ? '' : ' (not decoded)';
    return [`link type ${this.linkTypeName(pkt.linkType)} (${pkt.linkType})${known}`];
  }
}
