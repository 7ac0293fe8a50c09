import type { Layer } from '../decode/layer.js';
import { Ipv4Layer } from '../decode/ipv4.js';
import { Ipv6Layer } from '../decode/ipv6.js';
import { SctpLayer } from '../decode/sctp.js';
import { TcpLayer } from '../decode/tcp.js';
import { UdpLayer } from '../decode/udp.js';
import type { Frame } from '../graph/frame.js';
import type { GraphNode, NodeOutput } from '../graph/node.js';
import type { GraphPacket } from '../graph/packet.js';
import type { EntryDraft } from '../dissect/entry.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../flow/flow-table.js';
import type { FlowPlane, FlowSession, Transport } from './flow-plane.js';

const IPPROTO_SCTP = 132;

/** What flow-lookup learned about a packet, for the nodes after it. */
interface FlowMark {
  session: FlowSession;
  dir: 0 | 1;
  l4: TcpLayer | UdpLayer | SctpLayer;
  streamId: number;
}

/** flow-lookup's mark, carried in the packet's opaque field to the nodes after it. */
function markOf(pkt: GraphPacket): FlowMark {
  return pkt.opaque as FlowMark;
}

function innermost(layers: readonly Layer[]): { ip: Ipv4Layer | Ipv6Layer | null; l4: Layer | null } {
  let ip: Ipv4Layer | Ipv6Layer | null = null;
  let l4: Layer | null = null;
  for (const layer of layers) {
    if (layer instanceof Ipv4Layer || layer instanceof Ipv6Layer) {
      ip = layer;
      l4 = null;
    } else if (layer instanceof TcpLayer || layer instanceof UdpLayer || layer instanceof SctpLayer) {
      l4 = layer;
    }
  }
  return { ip, l4 };
}

/**
 * Finds (or creates) the bidirectional L4 stream of each TCP/UDP/SCTP packet. First
 * fragments are skipped: their reassembled datagram arrives as a packet of its own.
 */
export class FlowLookupNode implements GraphNode {
  readonly name = 'flow-lookup';
  readonly nextNodes = ['tcp-reassembly', 'datagram-input'];

  constructor(private readonly plane: FlowPlane) {}

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const { ip, l4 } = innermost(pkt.layers);
      if (ip === null || l4 === null) out.drop(pkt, 'no TCP/UDP/SCTP layer');
      else if (ip instanceof Ipv4Layer && ip.fragmented)
        out.drop(pkt, 'IP fragment (the reassembled datagram is used)');
      else if (l4.truncated || l4.anomaly !== null) out.drop(pkt, `malformed ${l4.kind} header`);
      else this.lookup(pkt, ip, l4 as TcpLayer | UdpLayer | SctpLayer, out);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const mark = pkt.opaque as FlowMark | null;
    if (!mark) return [];
    return [`stream ${mark.streamId}, ${mark.dir === 0 ? 'client -> server' : 'server -> client'}`];
  }

  private lookup(
    pkt: GraphPacket,
    ip: Ipv4Layer | Ipv6Layer,
    l4: TcpLayer | UdpLayer | SctpLayer,
    out: NodeOutput,
  ): void {
    // The addresses are read where they are in the reader's bytes (no views made per packet).
    const { bytes, offset } = pkt;
    const v4 = ip instanceof Ipv4Layer;
    const srcAt = offset + (v4 ? ip.offset + 12 : ip.srcOffset);
    const dstAt = offset + (v4 ? ip.offset + 16 : ip.dstOffset);
    const isTcp = l4 instanceof TcpLayer;
    const proto = isTcp ? IPPROTO_TCP : l4 instanceof UdpLayer ? IPPROTO_UDP : IPPROTO_SCTP;
    const flags = isTcp ? l4.flags : -1;
    const { table } = this.plane;
    const r = table.lookupAt(
      v4 ? 4 : 6,
      bytes,
      srcAt,
      l4.srcPort,
      bytes,
      dstAt,
      l4.dstPort,
      proto,
      pkt.tsUs,
      flags,
    );
    const session = r.created || !r.flow.value ? this.plane.open(r.flow, transportOf(proto)) : r.flow.value;
    pkt.opaque = { session, dir: r.dir, l4, streamId: r.flow.id } satisfies FlowMark;
    out.enqueue(isTcp ? 0 : 1, pkt);
  }
}

function transportOf(proto: number): Transport {
  return proto === IPPROTO_TCP ? 'tcp' : proto === IPPROTO_UDP ? 'udp' : 'sctp';
}

/** Puts each TCP segment into its stream's reassembler; in-order bytes and gaps queue up for dissect. */
export class TcpReassemblyNode implements GraphNode {
  readonly name = 'tcp-reassembly';
  readonly nextNodes = ['dissect'];

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const mark = markOf(pkt);
      const tcp = mark.l4 as TcpLayer;
      const payload = pkt.frameRange(tcp.payloadOffset, tcp.payloadEnd);
      mark.session.tcp?.segment(mark.dir, tcp.seq, tcp.ack, tcp.flags, payload, pkt.tsUs);
      out.enqueue(0, pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const mark = pkt.opaque as FlowMark | null;
    const stats = mark?.session.tcp?.stats;
    if (!mark || !stats) return [];
    return [
      `delivered ${stats.deliveredBytes[0]} client / ${stats.deliveredBytes[1]} server bytes, ${mark.session.queuedEvents} events queued`,
      `gaps ${stats.gaps} (${stats.gapBytes} bytes), retransmissions ${stats.retransmissions}, out of order ${stats.outOfOrder}`,
    ];
  }
}

/** UDP datagrams and SCTP DATA chunks: one message per packet, no reassembly. */
export class DatagramInputNode implements GraphNode {
  readonly name = 'datagram-input';
  readonly nextNodes = ['dissect'];

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const mark = markOf(pkt);
      const payload = pkt.frameRange(mark.l4.payloadOffset, mark.l4.payloadEnd);
      if (payload.length > 0) mark.session.datagram(mark.dir, payload, pkt.tsUs);
      out.enqueue(0, pkt);
    }
  }
}

/**
 * Runs the stream dissectors: feeds each packet's stream the bytes its reassembler queued,
 * and flushes streams that ended (idle, evicted) during the vector.
 */
export class DissectNode implements GraphNode {
  readonly name = 'dissect';
  readonly nextNodes = ['flow-done'];
  private readonly traced = new WeakMap<GraphPacket, string[]>();

  constructor(private readonly plane: FlowPlane) {}

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const session = markOf(pkt).session;
      this.plane.emitted.length = 0;
      const bytes = this.plane.dissect(session);
      if (pkt.trace !== null) this.traced.set(pkt, describe(session, bytes, this.plane.emitted));
      out.enqueue(0, pkt);
    }
    this.plane.flushEnded();
    this.plane.dissectLeftovers();
    this.plane.emitted.length = 0;
  }

  traceLines(pkt: GraphPacket): string[] {
    return this.traced.get(pkt) ?? [];
  }
}

function describe(session: FlowSession, bytes: number, emitted: readonly EntryDraft[]): string[] {
  const lines = [`${session.protocol ?? 'detecting'}: ${bytes} bytes dissected`];
  for (const entry of emitted)
    lines.push(`entry: ${entry.protocol} ${summarize(entry.request ?? entry.response)}`);
  return lines;
}

function summarize(part: Record<string, unknown> | null): string {
  if (part === null) return '';
  const keys = ['method', 'path', 'status', 'command', 'id'];
  return keys
    .filter((k) => part[k] !== undefined)
    .map((k) => String(part[k]))
    .join(' ');
}

/** The end of the packet path once the dissectors have seen a packet's bytes. */
export class FlowDoneNode implements GraphNode {
  readonly name = 'flow-done';
  readonly nextNodes: string[] = [];
  process(): void {}
  traceLines(): string[] {
    return ['consumed by the stream dissectors'];
  }
}
