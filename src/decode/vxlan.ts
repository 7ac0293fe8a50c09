import { BaseLayer, nextLayer } from './base.js';
import { REGISTRIES } from './layer.js';
import { u32 } from './bytes.js';
import { hex } from './format.js';

/**
 * VXLAN (RFC 7348) on UDP 4789: 8 bytes of flags and a 24-bit VNI, then an inner Ethernet
 * frame, decoded by handing over to link type 1 in the 'linktype' registry. A missing
 * I flag (VNI valid) is reported as `vxlan.bad_flags` but the frame is still decoded.
 */
export class VxlanLayer extends BaseLayer {
  readonly kind = 'vxlan';
  flags = 0;
  vni = 0;
}

const HEADER = 8;
const FLAG_VNI_VALID = 0x08;
const LINKTYPE_ETHERNET = 1;

export function decodeVxlan(data: Uint8Array, offset: number, end: number, base = 0): VxlanLayer {
  const layer = new VxlanLayer(offset, end);
  const available = end - offset;
  if (available < HEADER) return layer.cut(available, end);
  layer.flags = data[base + offset];
  layer.vni = u32(data, base + offset + 4) >>> 8;
  if ((layer.flags & FLAG_VNI_VALID) === 0) layer.anomaly = 'vxlan.bad_flags';
  layer.span(HEADER, end);
  layer.next = nextLayer(REGISTRIES.linktype, LINKTYPE_ETHERNET);
  return layer;
}

export function vxlanTraceLines(layer: VxlanLayer, _data: Uint8Array): string[] {
  if (layer.truncated) return ['VXLAN: truncated'];
  return [
    `VXLAN: vni ${layer.vni}, flags ${hex(layer.flags, 2)}${layer.anomaly ? ` (${layer.anomaly})` : ''}`,
  ];
}

export function vxlanToJson(layer: VxlanLayer, _data: Uint8Array): Record<string, unknown> {
  return { flags: hex(layer.flags, 2), vni: layer.vni };
}
