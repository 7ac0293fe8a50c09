import { formatPacketLine } from '../decode/summary.js';
import { layersToJson } from '../decode/describe.js';
import { formatCaptureTime } from '../util/iso-time.js';
import type { GraphPacket } from '../graph/packet.js';

export type ReadOutputFormat = 'text' | 'json';

/** How `meshtap read` prints a decoded packet: tcpdump's one-line summary, or one JSON object. */
export function packetFormatter(format: ReadOutputFormat): (pkt: GraphPacket) => string {
  if (format === 'json') return (pkt) => JSON.stringify(packetToJson(pkt));
  return (pkt) => formatPacketLine(pkt, pkt.layers);
}

/** One `read --format json` object: the frame's capture metadata and its decoded layers. */
export function packetToJson(pkt: GraphPacket): Record<string, unknown> {
  return {
    frame: pkt.seq + 1,
    time: formatCaptureTime(pkt.tsSec, pkt.tsNsec),
    caplen: pkt.data.length,
    len: pkt.origLen,
    linkType: pkt.linkType,
    interface: pkt.interfaceId,
    ...(pkt.comments ? { comments: pkt.comments } : {}),
    layers: layersToJson(pkt.layers, pkt.data),
  };
}
