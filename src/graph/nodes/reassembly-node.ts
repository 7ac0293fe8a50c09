import type { Layer } from '../../decode/layer.js';
import { Ipv4Layer } from '../../decode/ipv4.js';
import { Ipv6Layer } from '../../decode/ipv6.js';
import { Ipv6FragmentLayer } from '../../decode/ipv6ext.js';
import { FragmentReassembler, type FragmentLimits, type ReassemblyResult } from '../../flow/ipfrag/index.js';
import type { Frame } from '../frame.js';
import type { GraphNode, NodeOutput } from '../node.js';
import type { LayerRouter } from './decode-node.js';
import type { GraphPacket } from '../packet.js';

const REASSEMBLY_NODES = ['ip4-reassembly', 'ip6-reassembly'] as const;

/** LINKTYPE_IPV4 / LINKTYPE_IPV6: a reassembled datagram re-enters the graph as a bare IP packet. */
const LINKTYPE_IPV4 = 228;
const LINKTYPE_IPV6 = 229;

/** Sends fragments to reassembly instead of the L4 decoders. */
export const FRAGMENT_ROUTER: LayerRouter = {
  from: ['ip4-input', 'ip6-input'],
  to: REASSEMBLY_NODES,
  route(_pkt: GraphPacket, layer: Layer): string | null {
    // An IPv4 layer is answered at once: asking it `instanceof Ipv6FragmentLayer` as well
    // walks its whole prototype chain (~30 instructions a packet).
    if (layer instanceof Ipv4Layer) return layer.fragmented && !layer.truncated ? 'ip4-reassembly' : null;
    if (layer instanceof Ipv6FragmentLayer && !layer.truncated) return 'ip6-reassembly';
    return null;
  },
};

/**
 * Collects IP fragments; when a datagram completes, a new packet holding the whole
 * datagram re-enters the graph at ip4-input/ip6-input. The fragment itself goes on to the
 * done node, so `read` still prints every captured frame.
 */
abstract class ReassemblyNode implements GraphNode {
  abstract readonly name: string;
  readonly nextNodes: string[];
  protected readonly outcomes = new WeakMap<GraphPacket, string>();

  constructor(
    doneNode: string,
    reentry: string,
    protected readonly reassembler: FragmentReassembler,
  ) {
    this.nextNodes = [doneNode, reentry];
  }

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const result = this.offer(pkt);
      if (result.status === 'complete') out.enqueue(1, pkt.derive(result.packet, this.linkType));
      if (pkt.trace !== null) this.outcomes.set(pkt, describe(result));
      out.enqueue(0, pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const s = this.reassembler.stats;
    return [
      `${this.outcomes.get(pkt) ?? 'fragment'}; held ${this.reassembler.bytesHeld} bytes, ${s.reassembled} reassembled, ${s.timedOut} timed out`,
    ];
  }

  protected abstract readonly linkType: number;
  protected abstract offer(pkt: GraphPacket): ReassemblyResult;
}

function describe(result: ReassemblyResult): string {
  if (result.status === 'complete')
    return `datagram complete: ${result.packet.length} bytes from ${result.fragments} fragments`;
  if (result.status === 'dropped') return `fragment dropped: ${result.reason}`;
  return 'fragment held, datagram pending';
}

class Ip4ReassemblyNode extends ReassemblyNode {
  readonly name = 'ip4-reassembly';
  protected readonly linkType = LINKTYPE_IPV4;

  protected offer(pkt: GraphPacket): ReassemblyResult {
    const ip = pkt.layers.findLast((l): l is Ipv4Layer => l instanceof Ipv4Layer) as Ipv4Layer;
    const { data } = pkt;
    return this.reassembler.addIpv4(
      data.subarray(ip.offset, ip.offset + ip.headerLength),
      data.subarray(ip.payloadOffset, ip.payloadEnd),
      ip.src,
      ip.dst,
      ip.id,
      ip.protocol,
      ip.fragmentOffset,
      (ip.flags & 1) !== 0,
      pkt.tsUs,
    );
  }
}

class Ip6ReassemblyNode extends ReassemblyNode {
  readonly name = 'ip6-reassembly';
  protected readonly linkType = LINKTYPE_IPV6;

  protected offer(pkt: GraphPacket): ReassemblyResult {
    const frag = pkt.lastLayer as Ipv6FragmentLayer;
    const ip = pkt.layers.findLast((l): l is Ipv6Layer => l instanceof Ipv6Layer) as Ipv6Layer;
    const { data } = pkt;
    return this.reassembler.addIpv6(
      data.subarray(ip.offset, frag.offset),
      data.subarray(frag.payloadOffset, frag.payloadEnd),
      data.subarray(ip.srcOffset, ip.srcOffset + 16),
      data.subarray(ip.dstOffset, ip.dstOffset + 16),
      frag.identification,
      frag.nextHeader,
      frag.fragmentOffset,
      frag.moreFragments,
      pkt.tsUs,
    );
  }
}

export interface ReassemblyNodeOptions {
  doneNode: string;
  limits?: Partial<FragmentLimits>;
}

export function buildReassemblyNodes(opts: ReassemblyNodeOptions): GraphNode[] {
  return [
    new Ip4ReassemblyNode(opts.doneNode, 'ip4-input', new FragmentReassembler(opts.limits)),
    new Ip6ReassemblyNode(opts.doneNode, 'ip6-input', new FragmentReassembler(opts.limits)),
  ];
}
