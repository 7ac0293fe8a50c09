import { CodeTable } from './code-table.js';
import { REGISTRIES, MAX_REGISTRY_KEY, type Layer, type NextLayer } from './layer.js';
import { DecoderRegistry } from './registry.js';
import { BaseLayer, nextLayer } from './base.js';
import { decodeArp } from './arp.js';
import { decodeEthernet } from './ethernet.js';
import { decodeIcmp, decodeIcmpv6 } from './icmp.js';
import { decodeAh, decodeEsp } from './ipsec.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import {
  decodeIpv6DestOptions,
  decodeIpv6Fragment,
  decodeIpv6HopByHop,
  decodeIpv6Routing,
} from './ipv6ext.js';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_QINQ_OLD,
  ETHERTYPE_VLAN,
} from './names.js';
import { decodeLoop, decodeNull } from './null.js';
import { decodeRaw } from './raw.js';
import { decodeSctp } from './sctp.js';
import { decodeSll, decodeSll2 } from './sll.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';
import { decodeVlan8021ad, decodeVlan8021Q, decodeVlan9100 } from './vlan.js';
import { decodeVxlan } from './vxlan.js';

export { linkTypeName } from './names.js';
export type { Layer } from './layer.js';
export { DecoderRegistry } from './registry.js';

/** Link types (LINKTYPE_* values as pcap/pcapng files record them). */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as some systems write it into savefiles (12 on most BSDs, 14 on OpenBSD). */
const DLT_RAW_VALUES = [12, 14];

export const VXLAN_PORT = 4789;

/** How many layers one packet may have; deeper stacks end with a `packet.depth_limit` layer. */
export const MAX_LAYERS = 32;

/** A registry holding every decoder of this folder. */
export function createDefaultRegistry(): DecoderRegistry {
  const r = new DecoderRegistry();
  r.register('linktype', LINKTYPE_NULL, decodeNull);
  r.register('linktype', LINKTYPE_ETHERNET, decodeEthernet);
  r.register('linktype', LINKTYPE_RAW, decodeRaw);
  for (const dlt of DLT_RAW_VALUES) r.register('linktype', dlt, decodeRaw);
  r.register('linktype', LINKTYPE_LOOP, decodeLoop);
  r.register('linktype', LINKTYPE_LINUX_SLL, decodeSll);
  r.register('linktype', LINKTYPE_LINUX_SLL2, decodeSll2);
  r.register('linktype', LINKTYPE_IPV4, decodeIpv4);
  r.register('linktype', LINKTYPE_IPV6, decodeIpv6);
  r.register('ethertype', ETHERTYPE_IPV4, decodeIpv4);
  r.register('ethertype', ETHERTYPE_IPV6, decodeIpv6);
  r.register('ethertype', ETHERTYPE_ARP, decodeArp);
  r.register('ethertype', ETHERTYPE_VLAN, decodeVlan8021Q);
  r.register('ethertype', ETHERTYPE_QINQ, decodeVlan8021ad);
  r.register('ethertype', ETHERTYPE_QINQ_OLD, decodeVlan9100);
  r.register('ipproto', 0, decodeIpv6HopByHop);
  r.register('ipproto', 1, decodeIcmp);
  r.register('ipproto', 6, decodeTcp);
  r.register('ipproto', 17, decodeUdp);
  r.register('ipproto', 43, decodeIpv6Routing);
  r.register('ipproto', 44, decodeIpv6Fragment);
  r.register('ipproto', 50, decodeEsp);
  r.register('ipproto', 51, decodeAh);
  r.register('ipproto', 58, decodeIcmpv6);
  r.register('ipproto', 60, decodeIpv6DestOptions);
  r.register('ipproto', 132, decodeSctp);
  r.register('udpport', VXLAN_PORT, decodeVxlan);
  return r;
}

export const defaultRegistry = createDefaultRegistry();

/** Marks a walk stopped by MAX_LAYERS; its payload is what was left undecoded. */
export class DepthLimitLayer extends BaseLayer {
  readonly kind = 'packet';
}

function depthLimit(offset: number, end: number): DepthLimitLayer {
  const layer = new DepthLimitLayer(offset, end);
  layer.span(0, end);
  layer.anomaly = 'packet.depth_limit';
  return layer;
}

const linkTypeNexts = new CodeTable<NextLayer>();

/** The next-layer pointer of a frame's link type, one shared object per link type. */
export function linkTypeNext(linkType: number): NextLayer {
  // A pcap link type's upper bits (FCS length) would make another registry's code.
  if (linkType < 0 || linkType > MAX_REGISTRY_KEY) return nextLayer(REGISTRIES.linktype, linkType);
  let next = linkTypeNexts.get(linkType);
  if (next === undefined) {
    next = nextLayer(REGISTRIES.linktype, linkType);
    linkTypeNexts.set(linkType, next);
  }
  return next;
}

/**
 * Decodes one frame into its layers, outermost first, by walking the registry from the
 * link type. The walk ends at a layer with no `next`, at a key nobody registered (the last
 * layer's payload range is then the undecoded rest), or after MAX_LAYERS layers. `out` is
 * emptied and filled, so a caller can reuse one array for every packet.
 */
export function decodePacket(
  data: Uint8Array,
  linkType: number,
  registry: DecoderRegistry = defaultRegistry,
  out: Layer[] = [],
): Layer[] {
  out.length = 0;
  let next: NextLayer | null = linkTypeNext(linkType);
  let offset = 0;
  let end = data.length;
  while (next !== null) {
    const decoder = registry.lookup(next);
    if (decoder === undefined) break;
    if (out.length === MAX_LAYERS) {
      out.push(depthLimit(offset, end));
      break;
    }
    const layer = decoder(data, offset, end);
    out.push(layer);
    next = layer.next;
    offset = layer.payloadOffset;
    end = layer.payloadEnd;
  }
  return out;
}
