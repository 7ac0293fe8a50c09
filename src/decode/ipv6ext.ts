import { REGISTRIES, type LayerDecoder } from './layer.js';
import { BaseLayer, nextLayer } from './base.js';
import { u16, u32 } from './bytes.js';
import { hex } from './format.js';
import { ipProtoName } from './names.js';

/**
 * IPv6 extension headers (RFC 8200 §4), each its own layer reached through the 'ipproto'
 * registry: hop-by-hop options (0), routing (43), destination options (60) share the
 * "next header, length in 8-byte units beyond the first 8" layout; the fragment header (44)
 * is fixed at 8 bytes and a non-first fragment ends the walk.
 */
export class Ipv6ExtLayer extends BaseLayer {
  kind: 'ipv6.hopopts' | 'ipv6.routing' | 'ipv6.dstopts' = 'ipv6.hopopts';
  nextHeader = 0;
  /** Routing header only: routing type and segments left (0 for the option headers). */
  routingType = 0;
  segmentsLeft = 0;
}

export class Ipv6FragmentLayer extends BaseLayer {
  readonly kind = 'ipv6.fragment';
  nextHeader = 0;
  /** Offset of this fragment's data in the original payload, in bytes. */
  fragmentOffset = 0;
  moreFragments = false;
  identification = 0;
}

const MIN_EXT = 8;
const NO_NEXT_HEADER = 59;

function decodeExt(
  data: Uint8Array,
  offset: number,
  end: number,
  base: number,
  kind: Ipv6ExtLayer['kind'],
): Ipv6ExtLayer {
  const layer = new Ipv6ExtLayer(offset, end);
  layer.kind = kind;
  const available = end - offset;
  if (available < MIN_EXT) return layer.cut(available, end);
  const at = base + offset;
  layer.nextHeader = data[at];
  const headerLength = (data[at + 1] + 1) * 8;
  if (available < headerLength) return layer.cut(available, end);
  if (kind === 'ipv6.routing') {
    layer.routingType = data[at + 2];
    layer.segmentsLeft = data[at + 3];
  }
  layer.span(headerLength, end);
  if (layer.nextHeader !== NO_NEXT_HEADER) layer.next = nextLayer(REGISTRIES.ipproto, layer.nextHeader);
  return layer;
}

export const decodeIpv6HopByHop: LayerDecoder = (data, offset, end, base = 0) =>
  decodeExt(data, offset, end, base, 'ipv6.hopopts');
export const decodeIpv6Routing: LayerDecoder = (data, offset, end, base = 0) =>
  decodeExt(data, offset, end, base, 'ipv6.routing');
export const decodeIpv6DestOptions: LayerDecoder = (data, offset, end, base = 0) =>
  decodeExt(data, offset, end, base, 'ipv6.dstopts');

export function decodeIpv6Fragment(
  data: Uint8Array,
  offset: number,
  end: number,
  base = 0,
): Ipv6FragmentLayer {
  const layer = new Ipv6FragmentLayer(offset, end);
  const available = end - offset;
  if (available < MIN_EXT) return layer.cut(available, end);
  const at = base + offset;
  layer.nextHeader = data[at];
  const word = u16(data, at + 2);
  layer.fragmentOffset = word & 0xfff8;
  layer.moreFragments = (word & 1) !== 0;
  layer.identification = u32(data, at + 4);
  layer.span(MIN_EXT, end);
  if (layer.fragmentOffset === 0 && layer.nextHeader !== NO_NEXT_HEADER) {
    layer.next = nextLayer(REGISTRIES.ipproto, layer.nextHeader);
  }
  return layer;
}

const EXT_NAMES = { 'ipv6.hopopts': 'HOP-BY-HOP', 'ipv6.routing': 'ROUTING', 'ipv6.dstopts': 'DEST-OPTS' };

export function ipv6ExtTraceLines(layer: Ipv6ExtLayer, _data: Uint8Array): string[] {
  if (layer.truncated) return [`IP6 ${EXT_NAMES[layer.kind]}: truncated`];
  const routing =
    layer.kind === 'ipv6.routing' ? `, type ${layer.routingType}, segments left ${layer.segmentsLeft}` : '';
  return [
    `IP6 ${EXT_NAMES[layer.kind]}: next ${ipProtoName(layer.nextHeader)}, length ${layer.headerLength}${routing}`,
  ];
}

export function ipv6ExtToJson(layer: Ipv6ExtLayer, _data: Uint8Array): Record<string, unknown> {
  const base = { nextHeader: layer.nextHeader, length: layer.headerLength };
  if (layer.kind !== 'ipv6.routing') return base;
  return { ...base, routingType: layer.routingType, segmentsLeft: layer.segmentsLeft };
}

export function ipv6FragmentTraceLines(layer: Ipv6FragmentLayer, _data: Uint8Array): string[] {
  if (layer.truncated) return ['IP6 FRAGMENT: truncated'];
  return [
    `IP6 FRAGMENT: next ${ipProtoName(layer.nextHeader)}, id ${hex(layer.identification, 8)}, offset ${layer.fragmentOffset}${layer.moreFragments ? ', more fragments' : ''}`,
  ];
}

export function ipv6FragmentToJson(layer: Ipv6FragmentLayer, _data: Uint8Array): Record<string, unknown> {
  return {
    nextHeader: layer.nextHeader,
    identification: layer.identification,
    fragmentOffset: layer.fragmentOffset,
    moreFragments: layer.moreFragments,
  };
}
