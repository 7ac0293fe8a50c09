import { REGISTRY_CODES, registryCode, type Layer } from '../decode/layer.js';
import { MeshtapError } from '../util/errors.js';
import type { DecoderRegistry } from '../decode/registry.js';
import type { GraphNode } from './node.js';
import { DecodeNode, type DecodeNodeSpec, type LayerRouter } from './nodes/decode-node.js';
import { LinkInputNode } from './nodes/link-input.js';

/**
 * The decode stages of the data plane, by name, and the registry keys that lead to each.
 * The decoders themselves come from the decoder registry; this table only says how the
 * work is cut into graph nodes (what `show run` counts and `trace` shows).
 */
export const DECODE_NODE_SPECS: readonly DecodeNodeSpec[] = [
  { name: 'ethernet-input', keys: [['linktype', 1]] },
  { name: 'sll-input', keys: [['linktype', 113]] },
  { name: 'sll2-input', keys: [['linktype', 276]] },
  {
    name: 'null-input',
    keys: [
      ['linktype', 0],
      ['linktype', 108],
    ],
  },
  {
    name: 'raw-ip-input',
    keys: [
      ['linktype', 101],
      ['linktype', 12],
      ['linktype', 14],
    ],
  },
  {
    name: 'vlan-input',
    keys: [
      ['ethertype', 0x8100],
      ['ethertype', 0x88a8],
      ['ethertype', 0x9100],
    ],
    absorbs: [
      ['ethertype', 0x8100],
      ['ethertype', 0x88a8],
      ['ethertype', 0x9100],
    ],
  },
  {
    name: 'arp-input',
    keys: [
      ['ethertype', 0x0806],
      ['ethertype', 0x8035],
    ],
  },
  {
    name: 'ip4-input',
    keys: [
      ['ethertype', 0x0800],
      ['linktype', 228],
      ['ipproto', 4],
    ],
  },
  {
    name: 'ip6-input',
    keys: [
      ['ethertype', 0x86dd],
      ['linktype', 229],
      ['ipproto', 41],
    ],
    // Extension headers are part of IPv6 input processing, as in the kernel's ip6_input.
    absorbs: [
      ['ipproto', 0],
      ['ipproto', 43],
      ['ipproto', 60],
      ['ipproto', 44],
      ['ipproto', 51],
    ],
  },
  { name: 'tcp-input', keys: [['ipproto', 6]] },
  { name: 'udp-input', keys: [['ipproto', 17]] },
  { name: 'icmp-input', keys: [['ipproto', 1]] },
  { name: 'icmp6-input', keys: [['ipproto', 58]] },
  { name: 'sctp-input', keys: [['ipproto', 132]] },
  { name: 'vxlan-input', keys: [['udpport', 4789]] },
];

export interface DecodeGraphOptions {
  registry: DecoderRegistry;
  /** Where packets go when decoding ends. */
  doneNode: string;
  describe(layer: Layer, data: Uint8Array): string[];
  linkTypeName(linkType: number): string;
  /** Extra routing (fragments to reassembly) and the nodes it may send to. */
  router?: LayerRouter;
}

/** Builds link-input and every decode node, wired to each other through the registry keys. */
export function buildDecodeNodes(opts: DecodeGraphOptions): GraphNode[] {
  const keyNode = new Map<number, string>();
  const linkTypes = new Map<number, string>();
  for (const spec of DECODE_NODE_SPECS) {
    for (const [registry, key] of spec.keys) {
      keyNode.set(registryCode(registry, key), spec.name);
      if (registry === 'linktype') linkTypes.set(key, spec.name);
    }
  }
  const nextNodes = [...new Set([opts.doneNode, ...keyNode.values(), ...(opts.router?.to ?? [])])];
  if (nextNodes.length > 0x100) {
    throw new MeshtapError('GRAPH_TOO_MANY_NODES', 'a decode node can hand packets to 256 nodes at most');
  }
  // A byte per registry code (~400 KB, once per graph): looking up where each layer of every
  // packet goes took ~55 instructions in a CodeTable, twice as many as in a typed array.
  const keyIndex = new Uint8Array(REGISTRY_CODES);
  for (const [code, node] of keyNode) keyIndex[code] = nextNodes.indexOf(node);
  const deps = { registry: opts.registry, nextNodes, keyIndex, describe: opts.describe, router: opts.router };
  return [
    new LinkInputNode(linkTypes, opts.doneNode, opts.linkTypeName),
    ...DECODE_NODE_SPECS.map((spec) => new DecodeNode(spec, deps)),
  ];
}
