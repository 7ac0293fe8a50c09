import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u16 } from './bytes.js';
import { formatMac, hex } from './format.js';
import { etherTypeName } from './names.js';

/**
 * Ethernet II / IEEE 802.3 frame header (LINKTYPE_ETHERNET = 1). MAC addresses are exposed
 * as offsets into the packet (`dstOffset`, `srcOffset`), not views: creating two subarrays
 * per frame costs more than the whole rest of the decode, and printing is rare.
 * An 802.3 frame (type field <= 1500 is a length) carries LLC, which ends the walk.
 */
export class EthernetLayer extends BaseLayer {
  readonly kind = 'ethernet';
  dstOffset = 0;
  srcOffset = 0;
  /** The type/length field. */
  etherType = 0;
  /** True when the type field is an 802.3 length (the payload is LLC). */
  isLength = false;
}

const HEADER = 14;
const MAX_8023_LENGTH = 1500;

export function decodeEthernet(data: Uint8Array, offset: number, end: number, base = 0): EthernetLayer {
  const layer = new EthernetLayer(offset, end);
  layer.dstOffset = offset;
  layer.srcOffset = offset + 6;
  if (end - offset < HEADER) return layer.cut(end - offset, end);
  const type = u16(data, base + offset + 12);
  layer.etherType = type;
  if (type <= MAX_8023_LENGTH) {
    layer.isLength = true;
    const frameEnd = offset + HEADER + type;
    layer.span(HEADER, frameEnd < end ? frameEnd : end);
    layer.truncated = frameEnd > end;
    return layer;
  }
  layer.span(HEADER, end);
  layer.next = nextLayer(REGISTRIES.ethertype, type);
  return layer;
}

export function ethernetTraceLines(layer: EthernetLayer, data: Uint8Array): string[] {
  if (layer.truncated && layer.headerLength < HEADER)
    return [`ethernet: truncated (${layer.headerLength} bytes)`];
  const type = layer.isLength ? `802.3 length ${layer.etherType}` : etherTypeName(layer.etherType);
  return [`${type}: ${formatMac(data, layer.srcOffset)} -> ${formatMac(data, layer.dstOffset)}`];
}

export function ethernetToJson(layer: EthernetLayer, data: Uint8Array): Record<string, unknown> {
  const complete = layer.headerLength >= HEADER;
  return {
    dst: complete ? formatMac(data, layer.dstOffset) : null,
    src: complete ? formatMac(data, layer.srcOffset) : null,
    [layer.isLength ? 'length' : 'type']: complete
      ? layer.isLength
        ? layer.etherType
        : hex(layer.etherType, 4)
      : null,
  };
}
