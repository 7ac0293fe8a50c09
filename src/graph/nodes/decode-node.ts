import type { DecoderRegistry } from '../../decode/registry.js';
import { linkTypeNext } from '../../decode/index.js';
import {
  registryCode,
  type Layer,
  type LayerDecoder,
  type NextLayer,
  type RegistryName,
} from '../../decode/layer.js';
import type { Frame } from '../frame.js';
import type { GraphNode, NodeOutput } from '../node.js';
import type { GraphPacket } from '../packet.js';

/** Registry keys handled by one decode node, e.g. ip4-input handles ethertype 0x0800. */
export type DispatchKey = readonly [RegistryName, number];

export interface DecodeNodeSpec {
  name: string;
  /** Keys that route a packet to this node. */
  keys: readonly DispatchKey[];
  /** Keys this node keeps decoding itself (IPv6 extension headers inside ip6-input). */
  absorbs?: readonly DispatchKey[];
}

/** Routing decisions of its own (e.g. fragments to reassembly), taken before the registry's. */
export interface LayerRouter {
  /** The decode nodes whose layers `route` looks at: asking at every node cost a look at every layer. */
  readonly from: readonly string[];
  /** Every node name `route` may return. */
  readonly to: readonly string[];
  /** Where a packet goes after its layer was decoded: a node name, or null to let the registry decide. */
  route(pkt: GraphPacket, layer: Layer): string | null;
}

export interface DecodeNodeDeps {
  registry: DecoderRegistry;
  /** Every decode node's next nodes: the done node first, then every node a key or the router leads to. */
  nextNodes: readonly string[];
  /** Index in `nextNodes` of the node handling each registryCode; 0 (the done node) where none does. */
  keyIndex: Uint8Array;
  /** Trace lines of a decoded layer. */
  describe(layer: Layer, data: Uint8Array): string[];
  router?: LayerRouter;
}

/**
 * A graph node that decodes one protocol layer with the decoder the registry holds for its
 * key, appends the layer to the packet and routes the packet to the node that handles the
 * layer's next key. Which decoder runs is decided by the key the previous layer named, so
 * one node class serves every protocol.
 */
export class DecodeNode implements GraphNode {
  readonly name: string;
  readonly nextNodes: readonly string[];
  private readonly nextIndex = new Map<string, number>();
  /** registryCodes of the layers this node decodes itself after its own; null when none. */
  private readonly absorbed: Set<number> | null;
  /** The router, when it looks at this node's layers. */
  private readonly router: LayerRouter | null;
  /** deps.registry and deps.keyIndex, one load away: the layers of every packet read them. */
  private readonly registry: DecoderRegistry;
  private readonly keyIndex: Uint8Array;
  /** The next index of each packet of the frame being processed; grows with the vectors. */
  private nexts = new Uint16Array(0);
  /**
   * The link type of the last packet this node decoded from its first layer, and the layer
   * that link type names: a capture has one link type (pcapng: one per interface), and
   * looking it up for every packet cost ~50 instructions.
   */
  private lastLinkType = -1;
  private lastLinkLayer: NextLayer | null = null;
  /**
   * The key (code and altCode) of the last layer this node looked up a decoder for, and that
   * decoder: a node's packets nearly all arrive with the key that routed them to it, and the
   * registry lookup cost ~30 instructions a layer.
   */
  private lastCode = -1;
  private lastAltCode = -1;
  private lastDecoder: LayerDecoder | undefined = undefined;

  constructor(
    spec: DecodeNodeSpec,
    private readonly deps: DecodeNodeDeps,
  ) {
    this.name = spec.name;
    this.nextNodes = deps.nextNodes;
    this.nextNodes.forEach((n, i) => this.nextIndex.set(n, i));
    const absorbs = spec.absorbs ?? [];
    this.absorbed = absorbs.length === 0 ? null : new Set(absorbs.map(([r, key]) => registryCode(r, key)));
    this.router = deps.router?.from.includes(spec.name) ? deps.router : null;
    this.registry = deps.registry;
    this.keyIndex = deps.keyIndex;
  }

  process(frame: Frame, out: NodeOutput): void {
    const packets = frame.packets;
    const count = frame.count;
    if (this.nexts.length < count) this.nexts = new Uint16Array(count);
    const nexts = this.nexts;
    for (let i = 0; i < count; i++) {
      const pkt = packets[i]!;
      if (pkt.trace !== null) pkt.traceFrom = pkt.layers.length;
      nexts[i] = this.decodeInto(pkt);
    }
    // Handed on after the loop: packets this node sends to itself (IP in IP) go to its next
    // frame, not this one; and a vector whose packets all go one way moves as a whole.
    out.enqueueToNext(nexts);
  }

  traceLines(pkt: GraphPacket): string[] {
    const lines: string[] = [];
    for (const layer of pkt.layers.slice(pkt.traceFrom)) lines.push(...this.deps.describe(layer, pkt.data));
    return lines;
  }

  /**
   * Decodes this node's layer (and any absorbed ones) onto the packet and returns the index
   * of the node it goes to next: 0 (the done node) when there was nothing to decode. The
   * last layer's `next` is read once: the layers are of a dozen classes, so each read is a
   * megamorphic lookup (~50 instructions). The decoders read the frame where it lies
   * (`bytes` from `offset` on), so no packet needs a view of its own to be decoded.
   */
  private decodeInto(pkt: GraphPacket): number {
    const bytes = pkt.bytes;
    const base = pkt.offset;
    const last = pkt.lastLayer;
    let next = last === undefined ? this.linkLayer(pkt.linkType) : last.next;
    let start = last === undefined ? 0 : last.payloadOffset;
    let end = last === undefined ? pkt.caplen : last.payloadEnd;
    let layer: Layer | null = null;
    let guard = 0;
    while (next !== null && guard++ < 16) {
      const decoder = this.decoderFor(next);
      if (decoder === undefined) break;
      layer = decoder(bytes, start, end, base);
      pkt.layers.push(layer);
      next = layer.next;
      if (next === null || this.absorbed === null || !this.absorbed.has(next.code)) break;
      start = layer.payloadOffset;
      end = layer.payloadEnd;
    }
    if (layer === null) return 0;
    if (this.router !== null) {
      const routed = this.router.route(pkt, layer);
      if (routed !== null) return this.nextIndex.get(routed) ?? 0;
    }
    return this.indexFor(next);
  }

  /** The layer a frame of `linkType` starts with (see `lastLinkType`). */
  private linkLayer(linkType: number): NextLayer {
    if (this.lastLinkLayer === null || linkType !== this.lastLinkType) {
      this.lastLinkType = linkType;
      this.lastLinkLayer = linkTypeNext(linkType);
    }
    return this.lastLinkLayer;
  }

  /** The registry's decoder for `next` (see `lastCode`). */
  private decoderFor(next: NextLayer): LayerDecoder | undefined {
    if (next.code !== this.lastCode || next.altCode !== this.lastAltCode) {
      this.lastCode = next.code;
      this.lastAltCode = next.altCode;
      this.lastDecoder = this.registry.lookup(next);
    }
    return this.lastDecoder;
  }

  /** Index of the node handling `next` (key, then altKey); 0 (the done node) when none does. */
  private indexFor(next: NextLayer | null): number {
    if (next === null) return 0;
    const table = this.keyIndex;
    // A code past the table (a link type beyond 16 bits) reads as undefined: no node.
    return table[next.code] || (next.altCode < 0 ? 0 : table[next.altCode]) || 0;
  }
}
