import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u16, u32 } from './bytes.js';
import { formatIpv4, hex } from './format.js';
import { ipProtoName } from './names.js';

/**
 * IPv4 (RFC 791). Addresses are numbers (unsigned 32-bit). The payload range ends at the
 * total length, so Ethernet padding is not payload; a total length beyond the captured
 * bytes marks the layer truncated. The header checksum is verified: a bad one is reported
 * as `ipv4.bad_checksum` but decoding goes on. A first fragment (MF set, offset 0) hands its
 * bytes to the L4 decoder with `fragmented` set here; later fragments end the walk.
 */
export class Ipv4Layer extends BaseLayer {
  readonly kind = 'ipv4';
  version = 0;
  /** Header length in 32-bit words. */
  ihl = 0;
  tos = 0;
  totalLength = 0;
  id = 0;
  /** The 3 flag bits: 0x4 reserved, 0x2 DF, 0x1 MF. */
  flags = 0;
  /** Fragment offset in bytes (the wire field times 8). */
  fragmentOffset = 0;
  ttl = 0;
  protocol = 0;
  checksum = 0;
  checksumValid = false;
  src = 0;
  dst = 0;
  /** MF set or a non-zero fragment offset: the payload is part of a datagram. */
  fragmented = false;
}

const MIN_HEADER = 20;
export const IPV4_FLAG_DF = 0x2;
export const IPV4_FLAG_MF = 0x1;

/** Whether a one's complement sum of 16-bit words is all ones, as a valid header's is (RFC 1071). */
function sumIsAllOnes(sum: number): boolean {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/** The sum of the 16-bit words in [from, to) (the options). */
function wordSum(data: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2) sum += (data[i] << 8) | data[i + 1];
  return sum;
}

/**
 * The fixed header's fields are read here, not in a helper: the compiler inlines calls into
 * decodeIpv4 only up to a budget counted in the bytecode of what it inlines, and with a
 * helper reading them one u32 stayed a call (that and the call of wordSum below cost ~130
 * instructions a packet).
 */
export function decodeIpv4(data: Uint8Array, offset: number, end: number, base = 0): Ipv4Layer {
  const layer = new Ipv4Layer(offset, end);
  const available = end - offset;
  if (available < 1) return layer.cut(0, end);
  const at = base + offset;
  layer.version = data[at] >>> 4;
  layer.ihl = data[at] & 0x0f;
  if (layer.version !== 4) return fail(layer, 'ipv4.bad_version');
  const headerLength = layer.ihl * 4;
  if (headerLength < MIN_HEADER) return fail(layer, 'ipv4.bad_ihl');
  if (available < headerLength) return layer.cut(available, end);
  const tos = data[at + 1];
  const totalLength = u16(data, at + 2);
  const id = u16(data, at + 4);
  const fragment = u16(data, at + 6);
  const ttlProtocol = u16(data, at + 8);
  const checksum = u16(data, at + 10);
  const src = u32(data, at + 12);
  const dst = u32(data, at + 16);
  layer.tos = tos;
  layer.totalLength = totalLength;
  layer.id = id;
  layer.flags = fragment >>> 13;
  layer.fragmentOffset = (fragment & 0x1fff) * 8;
  layer.ttl = ttlProtocol >>> 8;
  layer.protocol = ttlProtocol & 0xff;
  layer.checksum = checksum;
  layer.src = src;
  layer.dst = dst;
  layer.fragmented = (layer.flags & IPV4_FLAG_MF) !== 0 || layer.fragmentOffset !== 0;
  // The fixed header's words are summed from what was just read: reading them again cost
  // ~200 instructions a packet (a bounds check per byte). Most headers have no options, and
  // testing for them spares those packets the call of wordSum.
  const fixedSum =
    ((data[at] << 8) | tos) +
    totalLength +
    id +
    fragment +
    ttlProtocol +
    checksum +
    (src >>> 16) +
    (src & 0xffff) +
    (dst >>> 16) +
    (dst & 0xffff);
  const options = headerLength === MIN_HEADER ? 0 : wordSum(data, at + MIN_HEADER, at + headerLength);
  layer.checksumValid = sumIsAllOnes(fixedSum + options);
  if (totalLength !== 0 && totalLength < headerLength) {
    layer.span(headerLength, end);
    return fail(layer, 'ipv4.bad_total_length');
  }
  // A zero total length is what TCP segmentation offload leaves in captures: use the captured bytes.
  const datagramEnd = totalLength === 0 ? end : offset + totalLength;
  layer.span(headerLength, datagramEnd < end ? datagramEnd : end);
  layer.truncated = datagramEnd > end;
  if (totalLength === 0) layer.anomaly = 'ipv4.zero_total_length';
  else if (!layer.checksumValid) layer.anomaly = 'ipv4.bad_checksum';
  if (layer.fragmentOffset === 0) layer.next = nextLayer(REGISTRIES.ipproto, layer.protocol);
  return layer;
}

/** Nonsense header: nothing after it can be trusted, so the walk ends with the rest as payload. */
function fail(layer: Ipv4Layer, anomaly: string): Ipv4Layer {
  if (layer.headerLength === 0) layer.span(0, layer.payloadEnd);
  layer.anomaly = anomaly;
  layer.next = null;
  return layer;
}

function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & IPV4_FLAG_DF) names.push('DONT_FRAGMENT');
  if (flags & IPV4_FLAG_MF) names.push('MORE_FRAGMENTS');
  if (flags & 0x4) names.push('RESERVED');
  return names.join(' ');
}

function complete(layer: Ipv4Layer): boolean {
  return (
    layer.headerLength >= MIN_HEADER &&
    layer.anomaly !== 'ipv4.bad_version' &&
    layer.anomaly !== 'ipv4.bad_ihl'
  );
}

export function ipv4TraceLines(layer: Ipv4Layer, _data: Uint8Array): string[] {
  if (!complete(layer))
    return [`IP4: ${layer.anomaly ?? 'truncated'}, version ${layer.version}, ihl ${layer.ihl}`];
  const lines = [
    `${ipProtoName(layer.protocol).toUpperCase()}: ${formatIpv4(layer.src)} -> ${formatIpv4(layer.dst)}`,
    `tos ${hex(layer.tos, 2)}, ttl ${layer.ttl}, length ${layer.totalLength}, checksum ${hex(layer.checksum, 4)}${layer.checksumValid ? '' : ' (bad)'}`,
  ];
  const offsetText = layer.fragmentOffset ? `, offset ${layer.fragmentOffset}` : '';
  const flags = flagNames(layer.flags);
  lines.push(`fragment id ${hex(layer.id, 4)}${offsetText}${flags ? `, flags ${flags}` : ''}`);
  if (layer.headerLength > MIN_HEADER) lines.push(`options: ${layer.headerLength - MIN_HEADER} bytes`);
  if (layer.anomaly) lines.push(`anomaly ${layer.anomaly}${layer.truncated ? ', truncated' : ''}`);
  else if (layer.truncated) lines.push('truncated');
  return lines;
}

export function ipv4ToJson(layer: Ipv4Layer, _data: Uint8Array): Record<string, unknown> {
  if (!complete(layer)) return { version: layer.version, ihl: layer.ihl };
  return {
    src: formatIpv4(layer.src),
    dst: formatIpv4(layer.dst),
    protocol: layer.protocol,
    tos: layer.tos,
    ttl: layer.ttl,
    totalLength: layer.totalLength,
    id: layer.id,
    flags: flagNames(layer.flags),
    fragmentOffset: layer.fragmentOffset,
    fragmented: layer.fragmented,
    checksum: hex(layer.checksum, 4),
    checksumValid: layer.checksumValid,
    optionsLength: layer.headerLength - MIN_HEADER,
  };
}
