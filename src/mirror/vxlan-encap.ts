import type { Layer } from '../decode/layer.js';
import { Ipv4Layer } from '../decode/ipv4.js';
import { Ipv6Layer } from '../decode/ipv6.js';
import { SllLayer } from '../decode/sll.js';

/**
 * The bytes of a mirrored packet: an Ethernet frame (the captured one, or one synthesised
 * for link types without an Ethernet header) cut to the session's packet length, behind a
 * VXLAN header (RFC 7348 §5).
 */

export const VXLAN_HEADER_LENGTH = 8;
export const ETHERNET_HEADER_LENGTH = 14;
/** RFC 7348: the I flag (bit 3 of the first byte) says the VNI is valid; all other flag bits are 0. */
export const VXLAN_FLAG_VNI = 0x08;
export const MAX_VNI = 0xffffff;

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

/**
 * Writes the 8-byte VXLAN header at `offset`: flags 0x08, 24 reserved bits, the 24-bit VNI
 * (network byte order), 8 reserved bits. Reserved bits are zero on transmission.
 */
export function writeVxlanHeader(out: Uint8Array, offset: number, vni: number): void {
  out[offset] = VXLAN_FLAG_VNI;
  out[offset + 1] = 0;
  out[offset + 2] = 0;
  out[offset + 3] = 0;
  out[offset + 4] = (vni >>> 16) & 0xff;
  out[offset + 5] = (vni >>> 8) & 0xff;
  out[offset + 6] = vni & 0xff;
  out[offset + 7] = 0;
}

/**
 * How a captured packet becomes an Ethernet frame. Ethernet captures are sent as captured.
 * Other link types (Linux cooked SLL/SLL2, raw IP, BSD NULL/LOOP, LINKTYPE_IPV4/IPV6) get a
 * synthesised 14-byte header — destination MAC zero; source MAC the cooked header's link
 * address when it is 6 bytes long, else zero; ethertype the one the link header named
 * (or the IP version's) — followed by everything after the link header.
 */
export interface FrameSource {
  /** True when the captured bytes already are the Ethernet frame. */
  native: boolean;
  /** Where the bytes after the (synthesised) Ethernet header start in the capture. */
  payloadOffset: number;
  etherType: number;
  /** Offset of a 6-byte source MAC in the capture, or -1 for zeros. */
  srcMacOffset: number;
}

/**
 * The frame source of a packet that has an IP layer. Returns false (leaving `out` unset)
 * when no Ethernet frame can be made: the packet does not start with a link layer or IP.
 */
export function frameSourceOf(linkType: number, layers: readonly Layer[], out: FrameSource): boolean {
  out.srcMacOffset = -1;
  if (linkType === LINKTYPE_ETHERNET) {
    out.native = true;
    out.payloadOffset = 0;
    out.etherType = 0;
    return true;
  }
  out.native = false;
  const link = layers[0];
  if (link === undefined) return false;
  if (link instanceof Ipv4Layer || link instanceof Ipv6Layer) {
    out.payloadOffset = link.offset;
    out.etherType = link instanceof Ipv4Layer ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
    return true;
  }
  if (link.next === null || link.next.registry !== 'ethertype') return false;
  out.payloadOffset = link.payloadOffset;
  out.etherType = link.next.key;
  if (link instanceof SllLayer && link.addressLength === 6) out.srcMacOffset = link.addressOffset;
  return true;
}

/** Length of the whole Ethernet frame the packet makes. */
export function frameLength(data: Uint8Array, source: FrameSource): number {
  if (source.native) return data.length;
  return ETHERNET_HEADER_LENGTH + data.length - source.payloadOffset;
}

/**
 * Writes the first `length` bytes (at most the frame's length) of the packet's Ethernet
 * frame into `out` at `offset`.
 */
export function writeFrame(
  data: Uint8Array,
  source: FrameSource,
  out: Uint8Array,
  offset: number,
  length: number,
): void {
  if (source.native) {
    out.set(data.subarray(0, length), offset);
    return;
  }
  // The synthesised header, written byte by byte (it may itself be cut by `length`).
  for (let i = 0; i < ETHERNET_HEADER_LENGTH && i < length; i++)
    out[offset + i] = headerByte(data, source, i);
  if (length > ETHERNET_HEADER_LENGTH) {
    const rest = length - ETHERNET_HEADER_LENGTH;
    out.set(
      data.subarray(source.payloadOffset, source.payloadOffset + rest),
      offset + ETHERNET_HEADER_LENGTH,
    );
  }
}

/** Byte `i` of the synthesised Ethernet header: zero destination, source MAC, ethertype. */
function headerByte(data: Uint8Array, source: FrameSource, i: number): number {
  if (i < 6) return 0;
  if (i < 12) return source.srcMacOffset >= 0 ? data[source.srcMacOffset + i - 6] : 0;
  return i === 12 ? source.etherType >>> 8 : source.etherType & 0xff;
}
