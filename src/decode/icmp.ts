import { BaseLayer } from './base.js';
import { u16 } from './bytes.js';
import { hex } from './format.js';

/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum and, for the messages that
 * have them (echo, timestamp, information), identifier and sequence. The rest is payload;
 * the IP header an error message quotes is deliberately not decoded as layers, so that
 * nothing downstream mistakes the quoted addresses for the packet's own. ICMP ends the walk.
 */
export class IcmpLayer extends BaseLayer {
  kind: 'icmp' | 'icmpv6' = 'icmp';
  type = 0;
  code = 0;
  checksum = 0;
  /** True for messages that carry identifier/sequence. */
  hasId = false;
  id = 0;
  seq = 0;
}

const HEADER = 8;
const MIN = 4;

/** ICMP types with identifier + sequence: echo reply/request, timestamp, information, address mask. */
function icmpHasId(type: number): boolean {
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

/** ICMPv6 echo request/reply. */
function icmpv6HasId(type: number): boolean {
  return type === 128 || type === 129;
}

function decode(
  data: Uint8Array,
  offset: number,
  end: number,
  base: number,
  layer: IcmpLayer,
  v6: boolean,
): IcmpLayer {
  const available = end - offset;
  if (available < MIN) return layer.cut(available, end);
  const at = base + offset;
  layer.type = data[at];
  layer.code = data[at + 1];
  layer.checksum = u16(data, at + 2);
  if (available < HEADER) return layer.cut(available, end);
  layer.hasId = v6 ? icmpv6HasId(layer.type) : icmpHasId(layer.type);
  if (layer.hasId) {
    layer.id = u16(data, at + 4);
    layer.seq = u16(data, at + 6);
  }
  return layer.span(HEADER, end);
}

export function decodeIcmp(data: Uint8Array, offset: number, end: number, base = 0): IcmpLayer {
  return decode(data, offset, end, base, new IcmpLayer(offset, end), false);
}

export function decodeIcmpv6(data: Uint8Array, offset: number, end: number, base = 0): IcmpLayer {
  const layer = new IcmpLayer(offset, end);
  layer.kind = 'icmpv6';
  return decode(data, offset, end, base, layer, true);
}

const ICMP_NAMES: Record<number, string> = {
  0: 'echo_reply',
  3: 'destination_unreachable',
  4: 'source_quench',
  5: 'redirect',
  8: 'echo_request',
  11: 'time_exceeded',
  12: 'parameter_problem',
  13: 'timestamp_request',
  14: 'timestamp_reply',
};

const ICMPV6_NAMES: Record<number, string> = {
  1: 'destination_unreachable',
  2: 'packet_too_big',
  3: 'time_exceeded',
  4: 'parameter_problem',
  128: 'echo_request',
  129: 'echo_reply',
  133: 'router_solicitation',
  134: 'router_advertisement',
  135: 'neighbor_solicitation',
  136: 'neighbor_advertisement',
  137: 'redirect',
  143: 'mld2_report',
};

export function icmpTypeName(layer: IcmpLayer): string {
  const names = layer.kind === 'icmpv6' ? ICMPV6_NAMES : ICMP_NAMES;
  return names[layer.type] ?? `type ${layer.type}`;
}

export function icmpTraceLines(layer: IcmpLayer, _data: Uint8Array): string[] {
  const label = layer.kind === 'icmpv6' ? 'ICMP6' : 'ICMP';
  if (layer.headerLength < MIN) return [`${label}: truncated`];
  const lines = [
    `${label}: ${icmpTypeName(layer)} (${layer.type}) code ${layer.code}`,
    `checksum ${hex(layer.checksum, 4)}`,
  ];
  if (layer.hasId) lines[1] += `, id ${layer.id}, seq ${layer.seq}`;
  if (layer.truncated) lines.push('truncated');
  return lines;
}

export function icmpToJson(layer: IcmpLayer, _data: Uint8Array): Record<string, unknown> {
  if (layer.headerLength < MIN) return {};
  const base = {
    type: layer.type,
    typeName: icmpTypeName(layer),
    code: layer.code,
    checksum: hex(layer.checksum, 4),
  };
  return layer.hasId ? { ...base, id: layer.id, seq: layer.seq } : base;
}
