import { BaseLayer } from './base.js';
import { u16, u32 } from './bytes.js';
import { formatHexBytes, formatIpv4, formatMac, hex } from './format.js';

/**
 * ARP (RFC 826). Hardware and protocol addresses are exposed as offsets into the packet;
 * for Ethernet/IPv4 ARP (hlen 6, plen 4) the protocol addresses are also read as numbers.
 * ARP ends the walk.
 */
export class ArpLayer extends BaseLayer {
  readonly kind = 'arp';
  hardwareType = 0;
  protocolType = 0;
  hardwareLength = 0;
  protocolLength = 0;
  operation = 0;
  senderHardwareOffset = 0;
  senderProtocolOffset = 0;
  targetHardwareOffset = 0;
  targetProtocolOffset = 0;
  /** Sender/target IPv4 address when protocolLength is 4, else 0. */
  senderIpv4 = 0;
  targetIpv4 = 0;
}

const FIXED = 8;

export function decodeArp(data: Uint8Array, offset: number, end: number, base = 0): ArpLayer {
  const layer = new ArpLayer(offset, end);
  if (end - offset < FIXED) return layer.cut(end - offset, end);
  const at = base + offset;
  layer.hardwareType = u16(data, at);
  layer.protocolType = u16(data, at + 2);
  const hlen = data[at + 4];
  const plen = data[at + 5];
  layer.hardwareLength = hlen;
  layer.protocolLength = plen;
  layer.operation = u16(data, at + 6);
  layer.senderHardwareOffset = offset + FIXED;
  layer.senderProtocolOffset = layer.senderHardwareOffset + hlen;
  layer.targetHardwareOffset = layer.senderProtocolOffset + plen;
  layer.targetProtocolOffset = layer.targetHardwareOffset + hlen;
  const headerLength = FIXED + 2 * (hlen + plen);
  if (end - offset < headerLength) return layer.cut(end - offset, end);
  if (plen === 4) {
    layer.senderIpv4 = u32(data, base + layer.senderProtocolOffset);
    layer.targetIpv4 = u32(data, base + layer.targetProtocolOffset);
  }
  return layer.span(headerLength, end);
}

const OPERATIONS = ['', 'request', 'reply', 'rarp-request', 'rarp-reply'];

function operationName(op: number): string {
  return OPERATIONS[op] || `op ${op}`;
}

function hardwareText(layer: ArpLayer, data: Uint8Array, at: number): string {
  return layer.hardwareLength === 6
    ? formatMac(data, at)
    : formatHexBytes(data, at, at + layer.hardwareLength, ':');
}

function protocolText(layer: ArpLayer, data: Uint8Array, at: number, ipv4: number): string {
  return layer.protocolLength === 4
    ? formatIpv4(ipv4)
    : formatHexBytes(data, at, at + layer.protocolLength, ':');
}

function addresses(layer: ArpLayer, data: Uint8Array) {
  return {
    senderHardware: hardwareText(layer, data, layer.senderHardwareOffset),
    senderProtocol: protocolText(layer, data, layer.senderProtocolOffset, layer.senderIpv4),
    targetHardware: hardwareText(layer, data, layer.targetHardwareOffset),
    targetProtocol: protocolText(layer, data, layer.targetProtocolOffset, layer.targetIpv4),
  };
}

export function arpTraceLines(layer: ArpLayer, data: Uint8Array): string[] {
  if (layer.truncated) return ['ARP: truncated'];
  const a = addresses(layer, data);
  return [
    `ARP: ${operationName(layer.operation)}, hardware ${layer.hardwareType}, protocol ${hex(layer.protocolType, 4)}`,
    `${a.senderProtocol}/${a.senderHardware} -> ${a.targetProtocol}/${a.targetHardware}`,
  ];
}

export function arpToJson(layer: ArpLayer, data: Uint8Array): Record<string, unknown> {
  const base = {
    operation: layer.operation,
    operationName: operationName(layer.operation),
    hardwareType: layer.hardwareType,
    protocolType: hex(layer.protocolType, 4),
  };
  return layer.truncated ? base : { ...base, ...addresses(layer, data) };
}
