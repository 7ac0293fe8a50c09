import type { DecoderRegistry } from '../../decode/registry.js';
import { linkTypeNext } from '../../decode/index.js';
import { registryCode, type Layer, type NextLayer, type RegistryName } from '../../decode/layer.js';
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

/** Decides where a packet goes after a decode node; returns a node name or null for "decode done". */
export type Router = (pkt: GraphPacket, layer: Layer) => string | null;

/** Which node handles each registry key. */
export type NodeRoutes = ReadonlyMap<RegistryName, ReadonlyMap<number, string>>;

export interface DecodeNodeDeps {
  registry: DecoderRegistry;
  routes: NodeRoutes;
  /** Where packets go when decoding ends (no next layer, or one no node handles). */
  doneNode: string;
  /** Trace lines of a decoded layer. */
  describe(layer: Layer, data: Uint8Array): string[];
  /** Extra routing decisions (e.g. fragments to reassembly), consulted before the registry. */
  route?: Router;
  /** Every node name a `route` may return. */
  routeTargets?: readonly string[];
}

/**
 * A graph node that decodes one protocol layer with the decoder the registry holds for its
 * key, appends the layer to the packet and routes the packet to the node that handles the
 * layer's next key. Which decoder runs is decided by the key the previous layer named, so
 * one node class serves every protocol.
 */
export class DecodeNode implements GraphNode {
  readonly name: string;
  readonly nextNodes: string[];
  private readonly nextIndex = new Map<string, number>();
  /** Next index per registryCode, precomputed so routing a packet is one Map lookup. */
  private readonly keyIndex = new Map<number, number>();
  /** registryCodes of the layers this node decodes itself after its own. */
  private readonly absorbed = new Set<number>();

  constructor(
    spec: DecodeNodeSpec,
    private readonly deps: DecodeNodeDeps,
  ) {
    this.name = spec.name;
    const targets = [...deps.routes.values()].flatMap((m) => [...m.values()]);
    this.nextNodes = [...new Set([deps.doneNode, ...targets, ...(deps.routeTargets ?? [])])];
    this.nextNodes.forEach((n, i) => this.nextIndex.set(n, i));
    for (const [registry, table] of deps.routes) {
      for (const [key, node] of table)
        this.keyIndex.set(registryCode(registry, key), this.nextNodes.indexOf(node));
    }
    for (const [registry, key] of spec.absorbs ?? []) this.absorbed.add(registryCode(registry, key));
  }

  process(frame: Frame, out: NodeOutput): void {
    for (let i = 0; i < frame.count; i++) {
      const pkt = frame.packets[i]!;
      if (pkt.trace !== null) pkt.traceFrom = pkt.layers.length;
      const layer = this.decodeInto(pkt);
      if (layer === null) {
        out.enqueue(0, pkt);
        continue;
      }
      const routed = this.deps.route?.(pkt, layer);
      out.enqueue(routed ? (this.nextIndex.get(routed) ?? 0) : this.indexFor(layer.next), pkt);
    }
  }

  traceLines(pkt: GraphPacket): string[] {
    const lines: string[] = [];
    for (const layer of pkt.layers.slice(pkt.traceFrom)) lines.push(...this.deps.describe(layer, pkt.data));
    return lines;
  }

  /** Decodes this node's layer (and any absorbed ones); null when there was nothing to decode. */
  private decodeInto(pkt: GraphPacket): Layer | null {
    let next = nextOf(pkt);
    let layer: Layer | null = null;
    let guard = 0;
    while (next !== null && guard++ < 16) {
      const decoder = this.deps.registry.lookup(next);
      if (!decoder) break;
      const prev = pkt.lastLayer;
      const start = prev ? prev.payloadOffset : 0;
      const end = prev ? prev.payloadEnd : pkt.data.length;
      layer = decoder(pkt.data, start, end);
      pkt.layers.push(layer);
      next = layer.next;
      if (next === null || !this.absorbed.has(next.code)) break;
    }
    return layer;
  }

  /** Index of the node handling `next` (key, then altKey); 0 (the done node) when none does. */
  private indexFor(next: NextLayer | null): number {
    if (next === null) return 0;
    const table = this.keyIndex;
    return table.get(next.code) ?? (next.altCode < 0 ? undefined : table.get(next.altCode)) ?? 0;
  }
}

/** The next-layer pointer a packet carries: its last layer's, or its link type when nothing is decoded yet. */
export function nextOf(pkt: GraphPacket): NextLayer | null {
  const last = pkt.lastLayer;
  if (last === undefined) return linkTypeNext(pkt.linkType);
  return last.next;
}
