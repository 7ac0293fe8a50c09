import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './names.js';

/**
 * Raw IP link types (LINKTYPE_RAW 101, DLT_RAW 12 and 14): no link header, the IP version
 * nibble says what follows. A zero-length layer, so that the walk always starts with a
 * link layer and dispatch stays in the registry. LINKTYPE_IPV4 (228) and LINKTYPE_IPV6
 * (229) are registered straight to the IP decoders instead.
 */
export class RawLayer extends BaseLayer {
  readonly kind = 'raw';
  version = 0;
}

export function decodeRaw(data: Uint8Array, offset: number, end: number, base = 0): RawLayer {
  const layer = new RawLayer(offset, end);
  if (end - offset < 1) return layer.cut(0, end);
  layer.version = data[base + offset] >>> 4;
  layer.span(0, end);
  if (layer.version === 4) layer.next = nextLayer(REGISTRIES.ethertype, ETHERTYPE_IPV4);
  else if (layer.version === 6) layer.next = nextLayer(REGISTRIES.ethertype, ETHERTYPE_IPV6);
  else layer.anomaly = 'raw.bad_version';
  return layer;
}

export function rawTraceLines(layer: RawLayer, _data: Uint8Array): string[] {
  return [layer.truncated ? 'RAW: empty' : `RAW: IP version ${layer.version}`];
}

export function rawToJson(layer: RawLayer, _data: Uint8Array): Record<string, unknown> {
  return { version: layer.version };
}
