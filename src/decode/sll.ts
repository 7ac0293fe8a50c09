import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u16, u32 } from './bytes.js';
import { formatHexBytes, hex } from './format.js';
import { etherTypeName } from './names.js';

/**
 * Linux "cooked" capture headers: SLL (LINKTYPE_LINUX_SLL = 113, 16 bytes) and SLL2
 * (LINKTYPE_LINUX_SLL2 = 276, 20 bytes, adds the interface index). Both carry the
 * link-layer address (offset + length, up to 8 bytes) and a protocol that is an ethertype
 * for ordinary ARPHRD types; for netlink captures and the 802.2/802.3 pseudo-types it is
 * not, and the walk ends there.
 */
export class SllLayer extends BaseLayer {
  kind: 'sll' | 'sll2' = 'sll';
  /** 0 to-us, 1 broadcast, 2 multicast, 3 other-host, 4 outgoing. */
  packetType = 0;
  arphrdType = 0;
  addressLength = 0;
  addressOffset = 0;
  protocol = 0;
  /** SLL2 only (0 for SLL). */
  interfaceIndex = 0;
}

const SLL_HEADER = 16;
const SLL2_HEADER = 20;
const ARPHRD_NETLINK = 824;
/** Protocol values below this are Linux pseudo-protocols (ETH_P_802_3, ETH_P_802_2...), not ethertypes. */
const MIN_ETHERTYPE = 0x0600;

function setNext(layer: SllLayer): void {
  if (layer.arphrdType !== ARPHRD_NETLINK && layer.protocol >= MIN_ETHERTYPE) {
    layer.next = nextLayer(REGISTRIES.ethertype, layer.protocol);
  }
}

export function decodeSll(data: Uint8Array, offset: number, end: number, base = 0): SllLayer {
  const layer = new SllLayer(offset, end);
  if (end - offset < SLL_HEADER) return layer.cut(end - offset, end);
  const at = base + offset;
  layer.packetType = u16(data, at);
  layer.arphrdType = u16(data, at + 2);
  layer.addressLength = u16(data, at + 4);
  layer.addressOffset = offset + 6;
  layer.protocol = u16(data, at + 14);
  layer.span(SLL_HEADER, end);
  setNext(layer);
  return layer;
}

export function decodeSll2(data: Uint8Array, offset: number, end: number, base = 0): SllLayer {
  const layer = new SllLayer(offset, end);
  layer.kind = 'sll2';
  if (end - offset < SLL2_HEADER) return layer.cut(end - offset, end);
  const at = base + offset;
  layer.protocol = u16(data, at);
  layer.interfaceIndex = u32(data, at + 4);
  layer.arphrdType = u16(data, at + 8);
  layer.packetType = data[at + 10];
  layer.addressLength = data[at + 11];
  layer.addressOffset = offset + 12;
  layer.span(SLL2_HEADER, end);
  setNext(layer);
  return layer;
}

const PACKET_TYPES = ['to-us', 'broadcast', 'multicast', 'other-host', 'outgoing'];

function packetTypeName(type: number): string {
  return PACKET_TYPES[type] ?? `type ${type}`;
}

function addressText(layer: SllLayer, data: Uint8Array): string {
  const length = layer.addressLength > 8 ? 8 : layer.addressLength;
  return formatHexBytes(data, layer.addressOffset, layer.addressOffset + length, ':');
}

export function sllTraceLines(layer: SllLayer, data: Uint8Array): string[] {
  if (layer.truncated) return [`${layer.kind.toUpperCase()}: truncated`];
  const ifindex = layer.kind === 'sll2' ? `, ifindex ${layer.interfaceIndex}` : '';
  return [
    `${layer.kind.toUpperCase()}: ${etherTypeName(layer.protocol)} ${packetTypeName(layer.packetType)} from ${addressText(layer, data)}`,
    `arphrd ${layer.arphrdType}${ifindex}`,
  ];
}

export function sllToJson(layer: SllLayer, data: Uint8Array): Record<string, unknown> {
  return {
    packetType: packetTypeName(layer.packetType),
    arphrdType: layer.arphrdType,
    address: layer.truncated ? null : addressText(layer, data),
    protocol: hex(layer.protocol, 4),
    ...(layer.kind === 'sll2' ? { interfaceIndex: layer.interfaceIndex } : {}),
  };
}
