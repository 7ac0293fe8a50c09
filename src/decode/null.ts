import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u16, u32, u32le } from './bytes.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './names.js';

/**
 * BSD loopback headers: a 4-byte address family. LINKTYPE_NULL (0) stores it in the byte
 * order of the machine that captured, which the file does not say; like tcpdump we read it
 * little-endian and, when that gives a value with bits in the upper half (no AF value is
 * that large), read it big-endian instead. LINKTYPE_LOOP (108) is always big-endian.
 * AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS) and
 * 10 (Linux, seen in some converted captures).
 */
export class NullLayer extends BaseLayer {
  kind: 'null' | 'loop' = 'null';
  family = 0;
  /** True when the family was stored big-endian. */
  bigEndian = false;
}

const HEADER = 4;
const AF_INET = 2;
const AF_INET6_VALUES = [10, 24, 28, 30];

function familyToEtherType(family: number): number {
  if (family === AF_INET) return ETHERTYPE_IPV4;
  return AF_INET6_VALUES.includes(family) ? ETHERTYPE_IPV6 : -1;
}

/**
 * Some captures put an ethertype in the last two bytes instead of an AF value (Wireshark
 * accepts that, tcpdump does not): when the family is unknown and those bytes are IPv4 or
 * IPv6, follow them.
 */
function embeddedEtherType(data: Uint8Array, at: number): number {
  const type = u16(data, at + 2);
  return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? type : -1;
}

function finish(layer: NullLayer, data: Uint8Array, end: number, base: number): NullLayer {
  layer.span(HEADER, end);
  let etherType = familyToEtherType(layer.family);
  if (etherType < 0) etherType = embeddedEtherType(data, base + layer.offset);
  if (etherType >= 0) layer.next = nextLayer(REGISTRIES.ethertype, etherType);
  else layer.anomaly = `${layer.kind}.unknown_family`;
  return layer;
}

export function decodeNull(data: Uint8Array, offset: number, end: number, base = 0): NullLayer {
  const layer = new NullLayer(offset, end);
  if (end - offset < HEADER) return layer.cut(end - offset, end);
  let family = u32le(data, base + offset);
  if ((family & 0xffff0000) !== 0) {
    family = u32(data, base + offset);
    layer.bigEndian = true;
  }
  layer.family = family;
  return finish(layer, data, end, base);
}

export function decodeLoop(data: Uint8Array, offset: number, end: number, base = 0): NullLayer {
  const layer = new NullLayer(offset, end);
  layer.kind = 'loop';
  layer.bigEndian = true;
  if (end - offset < HEADER) return layer.cut(end - offset, end);
  layer.family = u32(data, base + offset);
  return finish(layer, data, end, base);
}

function familyName(family: number): string {
  if (family === AF_INET) return 'AF_INET';
  return AF_INET6_VALUES.includes(family) ? 'AF_INET6' : `AF ${family}`;
}

export function nullTraceLines(layer: NullLayer, _data: Uint8Array): string[] {
  if (layer.truncated) return [`${layer.kind.toUpperCase()}: truncated`];
  const order = layer.bigEndian ? 'big-endian' : 'little-endian';
  return [`${layer.kind.toUpperCase()}: family ${layer.family} (${familyName(layer.family)}), ${order}`];
}

export function nullToJson(layer: NullLayer, _data: Uint8Array): Record<string, unknown> {
  return { family: layer.family, familyName: familyName(layer.family), bigEndian: layer.bigEndian };
}
