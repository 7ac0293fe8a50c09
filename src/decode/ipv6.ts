import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u16, u32 } from './bytes.js';
import { formatIpv6, hex } from './format.js';
import { ipProtoName } from './names.js';

/**
 * IPv6 fixed header (RFC 8200). The two addresses are exposed as offsets into the packet
 * (`srcOffset`, `dstOffset`; 16 bytes each) rather than views, to keep the decode free of
 * allocations; `ipv6Src`/`ipv6Dst` format them. Extension headers are decoded as layers of
 * their own (ipv6ext.ts) through the 'ipproto' registry. A payload length of 0 with a
 * hop-by-hop header is a jumbogram: the captured bytes are the payload.
 */
export class Ipv6Layer extends BaseLayer {
  readonly kind = 'ipv6';
  version = 0;
  trafficClass = 0;
  flowLabel = 0;
  payloadLength = 0;
  nextHeader = 0;
  hopLimit = 0;
  srcOffset = 0;
  dstOffset = 0;
}

const HEADER = 40;
const NO_NEXT_HEADER = 59;
const HOP_BY_HOP = 0;

export function decodeIpv6(data: Uint8Array, offset: number, end: number, base = 0): Ipv6Layer {
  const layer = new Ipv6Layer(offset, end);
  const available = end - offset;
  if (available < 1) return layer.cut(0, end);
  const at = base + offset;
  layer.version = data[at] >>> 4;
  if (layer.version !== 6) {
    layer.span(0, end);
    layer.anomaly = 'ipv6.bad_version';
    return layer;
  }
  if (available < HEADER) return layer.cut(available, end);
  const word = u32(data, at);
  layer.trafficClass = (word >>> 20) & 0xff;
  layer.flowLabel = word & 0xfffff;
  layer.payloadLength = u16(data, at + 4);
  layer.nextHeader = data[at + 6];
  layer.hopLimit = data[at + 7];
  layer.srcOffset = offset + 8;
  layer.dstOffset = offset + 24;
  const jumbo = layer.payloadLength === 0 && layer.nextHeader === HOP_BY_HOP;
  const packetEnd = jumbo ? end : offset + HEADER + layer.payloadLength;
  layer.span(HEADER, packetEnd < end ? packetEnd : end);
  layer.truncated = packetEnd > end;
  if (layer.nextHeader !== NO_NEXT_HEADER) layer.next = nextLayer(REGISTRIES.ipproto, layer.nextHeader);
  return layer;
}

export function ipv6Src(layer: Ipv6Layer, data: Uint8Array): string {
  return formatIpv6(data, layer.srcOffset);
}

export function ipv6Dst(layer: Ipv6Layer, data: Uint8Array): string {
  return formatIpv6(data, layer.dstOffset);
}

function complete(layer: Ipv6Layer): boolean {
  return layer.headerLength >= HEADER;
}

export function ipv6TraceLines(layer: Ipv6Layer, data: Uint8Array): string[] {
  if (!complete(layer)) return [`IP6: ${layer.anomaly ?? 'truncated'}, version ${layer.version}`];
  const lines = [
    `${ipProtoName(layer.nextHeader).toUpperCase()}: ${ipv6Src(layer, data)} -> ${ipv6Dst(layer, data)}`,
    `tos ${hex(layer.trafficClass, 2)}, flow label ${hex(layer.flowLabel, 5)}, hop limit ${layer.hopLimit}, payload length ${layer.payloadLength}`,
  ];
  if (layer.truncated) lines.push('truncated');
  return lines;
}

export function ipv6ToJson(layer: Ipv6Layer, data: Uint8Array): Record<string, unknown> {
  if (!complete(layer)) return { version: layer.version };
  return {
    src: ipv6Src(layer, data),
    dst: ipv6Dst(layer, data),
    nextHeader: layer.nextHeader,
    trafficClass: layer.trafficClass,
    flowLabel: layer.flowLabel,
    hopLimit: layer.hopLimit,
    payloadLength: layer.payloadLength,
  };
}
