import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u16 } from './bytes.js';
import { hex } from './format.js';

/**
 * UDP header (RFC 768). The payload ends at the UDP length; a length beyond the bytes the
 * IP layer delivered marks the layer truncated (this is also what a first IP fragment
 * looks like). The next layer is looked up by destination port, then source port.
 */
export class UdpLayer extends BaseLayer {
  readonly kind = 'udp';
  srcPort = 0;
  dstPort = 0;
  length = 0;
  checksum = 0;
}

const HEADER = 8;

export function decodeUdp(data: Uint8Array, offset: number, end: number, base = 0): UdpLayer {
  const layer = new UdpLayer(offset, end);
  const available = end - offset;
  if (available < HEADER) return layer.cut(available, end);
  const at = base + offset;
  layer.srcPort = u16(data, at);
  layer.dstPort = u16(data, at + 2);
  layer.length = u16(data, at + 4);
  layer.checksum = u16(data, at + 6);
  if (layer.length < HEADER) {
    // Length 0 is what jumbograms and some offloads leave: trust the captured bytes.
    layer.span(HEADER, end);
    if (layer.length !== 0) layer.anomaly = 'udp.bad_length';
  } else {
    const datagramEnd = offset + layer.length;
    layer.span(HEADER, datagramEnd < end ? datagramEnd : end);
    layer.truncated = datagramEnd > end;
  }
  if (layer.payloadEnd > layer.payloadOffset)
    layer.next = nextLayer(REGISTRIES.udpport, layer.dstPort, layer.srcPort);
  return layer;
}

export function udpTraceLines(layer: UdpLayer, _data: Uint8Array): string[] {
  if (layer.headerLength < HEADER) return [`UDP: truncated (${layer.headerLength} bytes)`];
  const lines = [
    `UDP: ${layer.srcPort} -> ${layer.dstPort}`,
    `length ${layer.length}, checksum ${hex(layer.checksum, 4)}`,
  ];
  if (layer.anomaly) lines.push(`anomaly ${layer.anomaly}`);
  if (layer.truncated) lines.push('truncated');
  return lines;
}

export function udpToJson(layer: UdpLayer, _data: Uint8Array): Record<string, unknown> {
  if (layer.headerLength < HEADER) return {};
  return {
    srcPort: layer.srcPort,
    dstPort: layer.dstPort,
    length: layer.length,
    checksum: hex(layer.checksum, 4),
    payloadLength: layer.payloadEnd - layer.payloadOffset,
  };
}
