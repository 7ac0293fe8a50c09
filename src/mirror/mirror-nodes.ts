import type { Frame } from '../graph/frame.js';
import type { GraphNode, NodeOutput } from '../graph/node.js';
import type { GraphPacket } from '../graph/packet.js';
import type { DirectionOf } from './direction.js';
import { KEY_OK, KEY_PROBLEMS, PacketKey, readPacketKey } from './packet-key.js';
import { SessionClassifier } from './rule-match.js';
import { type ActiveSession, MirrorMark, markOf } from './session-state.js';
import { SEND_OK, SEND_OUTCOMES, type DatagramSender, type ResolvedEndpoint } from './udp-sender.js';
import {
  frameLength,
  frameSourceOf,
  writeFrame,
  writeVxlanHeader,
  VXLAN_HEADER_LENGTH,
  type FrameSource,
} from './vxlan-encap.js';

/**
 * The mirror stages of the data plane, after decoding: classify (which session, if any,
 * collects the packet) → truncate (the Ethernet frame cut to the session's length, in a
 * datagram with room for the VXLAN header) → vxlan-encap (the header, the destination) →
 * udp-output (the socket). Each node has trace lines, so `trace add`/`show trace` follow a
 * packet through them and `show run` counts them.
 */
export const MIRROR_NODE_NAMES = ['mirror-classify', 'mirror-truncate', 'vxlan-encap', 'udp-output'] as const;

export const DROP_NO_SESSION = 'no active session';
export const DROP_NOT_COLLECTED = 'not collected by any session';
export const DROP_NO_FRAME = 'no Ethernet frame can be made from this link type';
export const DROP_OWN_TRAFFIC = 'mirror traffic of this host (never mirrored again)';

/** Finds the first session by priority whose filter collects the packet. */
export class MirrorClassifyNode implements GraphNode {
  readonly name = 'mirror-classify';
  readonly nextNodes = ['mirror-truncate'];
  readonly classifier = new SessionClassifier<ActiveSession>();
  private readonly key = new PacketKey();
  /** UDP ports of the destinations: with localPorts, what the mirror's own datagrams look like. */
  private destinationPorts: ReadonlySet<number> = new Set();

  constructor(
    private readonly directionOf: DirectionOf,
    private readonly localPorts: ReadonlySet<number>,
  ) {}

  setSessions(sessions: readonly ActiveSession[]): void {
    this.classifier.setSessions(sessions);
    this.destinationPorts = new Set(sessions.flatMap((s) => s.endpoints.map((e) => e.port)));
  }

  process(frame: Frame, out: NodeOutput): void {
    const { classifier, key } = this;
    const none = classifier.active.length === 0;
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      if (none) {
        out.drop(pkt, DROP_NO_SESSION);
        continue;
      }
      const problem = readPacketKey(pkt.layers, pkt.data, key);
      if (problem !== KEY_OK) {
        out.drop(pkt, KEY_PROBLEMS[problem]);
        continue;
      }
      if (this.isOwnTraffic(key)) {
        out.drop(pkt, DROP_OWN_TRAFFIC);
        continue;
      }
      const direction = this.directionOf(pkt);
      const session = classifier.classify(key, direction);
      if (session === null || classifier.decidingRule === null) {
        out.drop(pkt, DROP_NOT_COLLECTED);
        continue;
      }
      session.counters.matched++;
      pkt.opaque = new MirrorMark(session, classifier.decidingRule, direction, key.flowHash());
      out.enqueue(0, pkt);
    }
  }

  /**
   * A source whose traffic leaves by the same interface as the mirror's would see its own
   * VXLAN datagrams and mirror them again, in a loop: UDP from one of our source ports to a
   * destination port is taken for ours and never mirrored.
   */
  private isOwnTraffic(key: PacketKey): boolean {
    return key.proto === 17 && this.localPorts.has(key.srcPort) && this.destinationPorts.has(key.dstPort);
  }

  /** Recomputed for traced packets only: the key, then each session's verdict in priority order. */
  traceLines(pkt: GraphPacket): string[] {
    if (this.classifier.active.length === 0) return [DROP_NO_SESSION];
    const key = new PacketKey();
    const problem = readPacketKey(pkt.layers, pkt.data, key);
    if (problem !== KEY_OK) return [KEY_PROBLEMS[problem]];
    if (this.isOwnTraffic(key)) return [DROP_OWN_TRAFFIC];
    const direction = this.directionOf(pkt);
    const lines = [`${direction} ${key.describe()}`, ...this.classifier.explain(key, direction)];
    const mark = markOf(pkt);
    lines.push(
      mark ? `mirrored by session ${mark.session.id}, flow hash ${mark.hash >>> 0}` : DROP_NOT_COLLECTED,
    );
    return lines;
  }
}

/** Builds the datagram: 8 bytes left for VXLAN, then at most packetLength bytes of the frame. */
export class MirrorTruncateNode implements GraphNode {
  readonly name = 'mirror-truncate';
  readonly nextNodes = ['vxlan-encap'];
  private readonly source: FrameSource = { native: true, payloadOffset: 0, etherType: 0, srcMacOffset: -1 };

  process(frame: Frame, out: NodeOutput): void {
    const source = this.source;
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const mark = pkt.opaque as MirrorMark;
      if (!frameSourceOf(pkt.linkType, pkt.layers, source)) {
        out.drop(pkt, DROP_NO_FRAME);
        continue;
      }
      const full = frameLength(pkt.data, source);
      const kept = full < mark.session.packetLength ? full : mark.session.packetLength;
      // Headroom for the VXLAN header, as VPP leaves pre-data room in its buffers: no second copy.
      const datagram = Buffer.allocUnsafe(VXLAN_HEADER_LENGTH + kept);
      writeFrame(pkt.data, source, datagram, VXLAN_HEADER_LENGTH, kept);
      mark.datagram = datagram;
      mark.frameLength = full;
      out.enqueue(0, pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const mark = markOf(pkt);
    if (mark === null || mark.datagram === null) return [pkt.dropReason ?? 'no frame'];
    const kept = mark.datagram.length - VXLAN_HEADER_LENGTH;
    const native = pkt.linkType === 1 ? '' : ' (Ethernet header synthesised)';
    const cut = mark.truncated ? `, truncated to ${kept}` : ', kept whole';
    return [`frame ${mark.frameLength} bytes${native}${cut}`];
  }
}

/** Writes the VXLAN header and picks the destination (a group member by flow hash). */
export class VxlanEncapNode implements GraphNode {
  readonly name = 'vxlan-encap';
  readonly nextNodes = ['udp-output'];

  constructor(private readonly sender: DatagramSender) {}

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const mark = pkt.opaque as MirrorMark;
      writeVxlanHeader(mark.datagram as Uint8Array, 0, mark.session.vni);
      mark.endpoint = mark.session.endpointFor(mark.hash);
      out.enqueue(0, pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const mark = markOf(pkt);
    if (mark === null || mark.endpoint === null) return [];
    const port = this.sender.sourcePort(mark.endpoint.family, mark.hash);
    return [`VXLAN vni ${mark.session.vni} to ${mark.endpoint.label}, outer UDP source port ${port}`];
  }
}

/** Hands each datagram to the sender without waiting; refused sends are counted and dropped. */
export class UdpOutputNode implements GraphNode {
  readonly name = 'udp-output';
  readonly nextNodes: string[] = [];

  constructor(private readonly sender: DatagramSender) {}

  process(frame: Frame, out: NodeOutput): void {
    const sender = this.sender;
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      const mark = pkt.opaque as MirrorMark;
      const datagram = mark.datagram as Uint8Array;
      const session = mark.session;
      const counters = session.counters;
      const outcome = sender.send(datagram, mark.endpoint as ResolvedEndpoint, mark.hash, session.onSent);
      mark.outcome = outcome;
      if (outcome !== SEND_OK) {
        counters.sendErrors++;
        out.drop(pkt, SEND_OUTCOMES[outcome]);
        continue;
      }
      counters.mirrored++;
      counters.sentBytes += datagram.length;
      if (mark.truncated) counters.truncated++;
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const mark = markOf(pkt);
    if (mark === null || mark.outcome < 0) return [];
    const bytes = mark.datagram?.length ?? 0;
    return [`${SEND_OUTCOMES[mark.outcome]}: ${bytes} bytes to ${mark.endpoint?.label ?? '?'}`];
  }
}
