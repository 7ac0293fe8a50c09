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
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      out.enqueue(this.byLinkType.get(pkt.linkType) ?? 0, pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const known = this.byLinkType.has(pkt.linkType) ? '' : ' (not decoded)';
    return [`link type ${this.linkTypeName(pkt.linkType)} (${pkt.linkType})${known}`];
  }
}
