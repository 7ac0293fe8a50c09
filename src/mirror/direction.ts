import type { GraphPacket } from '../graph/packet.js';
import type { RuleDirection } from './types.js';

/** Says whether the mirrored source sent a packet (outbound) or received it (inbound). */
export type DirectionOf = (pkt: GraphPacket) => RuleDirection;

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;
/** Linux PACKET_OUTGOING: the cooked header's packet type of a frame the host sent. */
const PACKET_OUTGOING = 4;

/**
 * Linux cooked captures (SLL, SLL2) record the direction themselves: packet type 4
 * (outgoing) is outbound, every other type (to-us, broadcast, multicast, other-host) is
 * inbound. Returns null for other link types or a header too short to say.
 */
export function directionBySllPacketType(pkt: GraphPacket): RuleDirection | null {
  const { data } = pkt;
  if (pkt.linkType === LINKTYPE_LINUX_SLL) {
    if (data.length < 16) return null;
    return ((data[0] << 8) | data[1]) === PACKET_OUTGOING ? 'outbound' : 'inbound';
  }
  if (pkt.linkType === LINKTYPE_LINUX_SLL2) {
    if (data.length < 20) return null;
    return data[10] === PACKET_OUTGOING ? 'outbound' : 'inbound';
  }
  return null;
}

/**
 * Direction from the source interface's MAC addresses: an Ethernet frame whose source MAC
 * is one of them was sent by the source (outbound), anything else was received (inbound).
 * Cooked captures use their packet type instead; link types that carry neither (raw IP,
 * BSD loopback) count as inbound.
 */
export function directionByMac(localMacs: readonly Uint8Array[]): DirectionOf {
  // One 48-bit number per MAC so a frame is checked with integer compares, not byte loops.
  const macs = localMacs.map((mac) => {
    if (mac.length !== 6) throw new RangeError(`a MAC address has 6 bytes, got ${mac.length}`);
    return macNumber(mac, 0);
  });
  return (pkt) => {
    if (pkt.linkType !== LINKTYPE_ETHERNET) return directionBySllPacketType(pkt) ?? 'inbound';
    if (pkt.data.length < 12) return 'inbound';
    const src = macNumber(pkt.data, 6);
    for (let i = 0; i < macs.length; i++) if (macs[i] === src) return 'outbound';
    return 'inbound';
  };
}

function macNumber(bytes: Uint8Array, at: number): number {
  return (
    bytes[at] * 0x10000000000 +
    bytes[at + 1] * 0x100000000 +
    ((bytes[at + 2] << 24) >>> 0) +
    (bytes[at + 3] << 16) +
    (bytes[at + 4] << 8) +
    bytes[at + 5]
  );
}

/** Every packet as sent by the source (e.g. a capture taken on the source's egress). */
export const allOutbound: DirectionOf = () => 'outbound';
/** Every packet as received by the source. */
export const allInbound: DirectionOf = () => 'inbound';
