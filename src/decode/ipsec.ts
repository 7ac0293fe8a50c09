import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u32 } from './bytes.js';
import { hex } from './format.js';
import { ipProtoName } from './names.js';

/**
 * IPsec headers, valid after IPv4 and IPv6 alike. AH (RFC 4302, protocol 51) authenticates
 * but does not encrypt, so decoding goes on with its next header; its length field counts
 * 32-bit words minus 2. ESP (RFC 4303, protocol 50) encrypts what follows: the walk ends.
 */
export class AhLayer extends BaseLayer {
  readonly kind = 'ah';
  nextHeader = 0;
  spi = 0;
  sequence = 0;
}

export class EspLayer extends BaseLayer {
  readonly kind = 'esp';
  spi = 0;
  sequence = 0;
}

const AH_MIN = 12;
const ESP_HEADER = 8;

export function decodeAh(data: Uint8Array, offset: number, end: number, base = 0): AhLayer {
  const layer = new AhLayer(offset, end);
  const available = end - offset;
  if (available < AH_MIN) return layer.cut(available, end);
  const at = base + offset;
  layer.nextHeader = data[at];
  const headerLength = (data[at + 1] + 2) * 4;
  layer.spi = u32(data, at + 4);
  layer.sequence = u32(data, at + 8);
  if (headerLength < AH_MIN) {
    layer.span(AH_MIN, end);
    layer.anomaly = 'ah.bad_length';
    return layer;
  }
  if (available < headerLength) return layer.cut(available, end);
  layer.span(headerLength, end);
  layer.next = nextLayer(REGISTRIES.ipproto, layer.nextHeader);
  return layer;
}

export function decodeEsp(data: Uint8Array, offset: number, end: number, base = 0): EspLayer {
  const layer = new EspLayer(offset, end);
  const available = end - offset;
  if (available < ESP_HEADER) return layer.cut(available, end);
  layer.spi = u32(data, base + offset);
  layer.sequence = u32(data, base + offset + 4);
  return layer.span(ESP_HEADER, end);
}

export function ahTraceLines(layer: AhLayer, _data: Uint8Array): string[] {
  if (layer.truncated) return ['AH: truncated'];
  return [`AH: spi ${hex(layer.spi, 8)}, seq ${layer.sequence}, next ${ipProtoName(layer.nextHeader)}`];
}

export function ahToJson(layer: AhLayer, _data: Uint8Array): Record<string, unknown> {
  return { nextHeader: layer.nextHeader, spi: layer.spi, sequence: layer.sequence };
}

export function espTraceLines(layer: EspLayer, _data: Uint8Array): string[] {
  if (layer.truncated) return ['ESP: truncated'];
  return [
    `ESP: spi ${hex(layer.spi, 8)}, seq ${layer.sequence}, ${layer.payloadEnd - layer.payloadOffset} bytes encrypted`,
  ];
}

export function espToJson(layer: EspLayer, _data: Uint8Array): Record<string, unknown> {
  return { spi: layer.spi, sequence: layer.sequence };
}
