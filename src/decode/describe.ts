import type { Layer } from './layer.js';
import { arpToJson, arpTraceLines } from './arp.js';
import { ethernetToJson, ethernetTraceLines } from './ethernet.js';
import { icmpToJson, icmpTraceLines } from './icmp.js';
import { ahToJson, ahTraceLines, espToJson, espTraceLines } from './ipsec.js';
import { ipv4ToJson, ipv4TraceLines } from './ipv4.js';
import { ipv6ToJson, ipv6TraceLines } from './ipv6.js';
import { ipv6ExtToJson, ipv6ExtTraceLines, ipv6FragmentToJson, ipv6FragmentTraceLines } from './ipv6ext.js';
import { nullToJson, nullTraceLines } from './null.js';
import { rawToJson, rawTraceLines } from './raw.js';
import { sctpToJson, sctpTraceLines } from './sctp.js';
import { sllToJson, sllTraceLines } from './sll.js';
import { tcpToJson, tcpTraceLines } from './tcp.js';
import { udpToJson, udpTraceLines } from './udp.js';
import { vlanToJson, vlanTraceLines } from './vlan.js';
import { vxlanToJson, vxlanTraceLines } from './vxlan.js';

/**
 * Layer-kind → printer dispatch for the packet tracer (`show trace` decode lines) and for
 * `meshtap read --format json`. Each layer module owns its printers; this only routes by
 * `kind`, so a printer is never chosen by a growing switch.
 */
type TraceLines = (layer: Layer, data: Uint8Array) => string[];
type ToJson = (layer: Layer, data: Uint8Array) => Record<string, unknown>;

const PRINTERS = new Map<string, [TraceLines, ToJson]>();

function add(kinds: string[], trace: unknown, toJson: unknown): void {
  for (const kind of kinds) PRINTERS.set(kind, [trace as TraceLines, toJson as ToJson]);
}

add(['ethernet'], ethernetTraceLines, ethernetToJson);
add(['vlan'], vlanTraceLines, vlanToJson);
add(['sll', 'sll2'], sllTraceLines, sllToJson);
add(['null', 'loop'], nullTraceLines, nullToJson);
add(['raw'], rawTraceLines, rawToJson);
add(['arp'], arpTraceLines, arpToJson);
add(['ipv4'], ipv4TraceLines, ipv4ToJson);
add(['ipv6'], ipv6TraceLines, ipv6ToJson);
add(['ipv6.hopopts', 'ipv6.routing', 'ipv6.dstopts'], ipv6ExtTraceLines, ipv6ExtToJson);
add(['ipv6.fragment'], ipv6FragmentTraceLines, ipv6FragmentToJson);
add(['ah'], ahTraceLines, ahToJson);
add(['esp'], espTraceLines, espToJson);
add(['tcp'], tcpTraceLines, tcpToJson);
add(['udp'], udpTraceLines, udpToJson);
add(['icmp', 'icmpv6'], icmpTraceLines, icmpToJson);
add(['sctp'], sctpTraceLines, sctpToJson);
add(['vxlan'], vxlanTraceLines, vxlanToJson);

/** The decode lines a packet tracer prints for one layer. */
export function layerTraceLines(layer: Layer, data: Uint8Array): string[] {
  const printer = PRINTERS.get(layer.kind);
  if (printer) return printer[0](layer, data);
  const reason = layer.anomaly ? ` (${layer.anomaly})` : '';
  return [`${layer.kind.toUpperCase()}: ${layer.payloadEnd - layer.offset} bytes${reason}`];
}

/** One layer as JSON: the common layer fields, then the layer's own. */
export function layerToJson(layer: Layer, data: Uint8Array): Record<string, unknown> {
  const printer = PRINTERS.get(layer.kind);
  return {
    layer: layer.kind,
    offset: layer.offset,
    headerLength: layer.headerLength,
    payloadLength: layer.payloadEnd - layer.payloadOffset,
    truncated: layer.truncated,
    anomaly: layer.anomaly,
    ...(printer ? printer[1](layer, data) : {}),
  };
}

/** Every layer's JSON, outermost first. */
export function layersToJson(layers: readonly Layer[], data: Uint8Array): Record<string, unknown>[] {
  return layers.map((layer) => layerToJson(layer, data));
}
