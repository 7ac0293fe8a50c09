import { REGISTRIES, type LayerDecoder } from './layer.js';
import { BaseLayer, nextLayer } from './base.js';
import { u16 } from './bytes.js';
import { hex } from './format.js';
import { ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_VLAN, etherTypeName } from './names.js';

/**
 * One 802.1Q / 802.1ad VLAN tag (the 4 bytes after the TPID). Tags stack to any depth:
 * each tag names the next ethertype, which may be another tag. The TPID that announced
 * the tag lies before `offset`, so each TPID gets its own decoder that records it.
 */
export class VlanLayer extends BaseLayer {
  readonly kind = 'vlan';
  /** The tag protocol identifier that announced this tag (0x8100, 0x88a8 or 0x9100). */
  tpid = 0;
  priority = 0;
  dropEligible = false;
  vlanId = 0;
  etherType = 0;
}

const HEADER = 4;

function decodeVlanTag(data: Uint8Array, offset: number, end: number, base: number, tpid: number): VlanLayer {
  const layer = new VlanLayer(offset, end);
  layer.tpid = tpid;
  if (end - offset < HEADER) return layer.cut(end - offset, end);
  const tci = u16(data, base + offset);
  layer.priority = tci >>> 13;
  layer.dropEligible = (tci & 0x1000) !== 0;
  layer.vlanId = tci & 0x0fff;
  layer.etherType = u16(data, base + offset + 2);
  layer.span(HEADER, end);
  layer.next = nextLayer(REGISTRIES.ethertype, layer.etherType);
  return layer;
}

export const decodeVlan8021Q: LayerDecoder = (data, offset, end, base = 0) =>
  decodeVlanTag(data, offset, end, base, ETHERTYPE_VLAN);
export const decodeVlan8021ad: LayerDecoder = (data, offset, end, base = 0) =>
  decodeVlanTag(data, offset, end, base, ETHERTYPE_QINQ);
export const decodeVlan9100: LayerDecoder = (data, offset, end, base = 0) =>
  decodeVlanTag(data, offset, end, base, ETHERTYPE_QINQ_OLD);

export function vlanTraceLines(layer: VlanLayer, _data: Uint8Array): string[] {
  if (layer.headerLength < HEADER) return [`${etherTypeName(layer.tpid)}: truncated`];
  return [
    `${etherTypeName(layer.tpid)}: vlan ${layer.vlanId}, priority ${layer.priority}${layer.dropEligible ? ', DEI' : ''}, type ${etherTypeName(layer.etherType)}`,
  ];
}

export function vlanToJson(layer: VlanLayer, _data: Uint8Array): Record<string, unknown> {
  return {
    tpid: hex(layer.tpid, 4),
    vlan: layer.vlanId,
    priority: layer.priority,
    dei: layer.dropEligible,
    type: hex(layer.etherType, 4),
  };
}
