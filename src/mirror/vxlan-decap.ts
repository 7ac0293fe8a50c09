import { u32 } from '../decode/bytes.js';

/**
 * VXLAN decapsulation for the mirror receiver (RFC 7348 section 5). The header is 8 bytes:
 *
 *   byte 0     flags: R R R R I R R R (I = 0x08, "VNI valid")
 *   bytes 1-3  reserved
 *   bytes 4-6  VNI, 24 bits, big-endian
 *   byte 7     reserved
 *
 * then the inner Ethernet frame. The RFC says the reserved bits "MUST be set to zero on
 * transmission and ignored on receipt", so nonzero reserved bits are not a reason to drop.
 * Unlike the display decoder (src/decode/vxlan.ts), which still shows a frame whose I flag
 * is clear, a receiver must drop it: without the I flag the VNI is not valid, so the frame
 * cannot be attributed to a session.
 */

export const VXLAN_HEADER_BYTES = 8;
/** An Ethernet header (destination, source, type): the least a VXLAN payload must carry. */
export const INNER_ETHERNET_HEADER_BYTES = 14;
const FLAG_VNI_VALID = 0x08;

/** Why a datagram is not valid VXLAN. Stable names: they are counter labels. */
export type VxlanMalformedReason = 'too_short' | 'no_vni_flag' | 'inner_too_short';
export const VXLAN_MALFORMED_REASONS: readonly VxlanMalformedReason[] = [
  'too_short',
  'no_vni_flag',
  'inner_too_short',
];

/** Why a datagram is dropped: malformed, or valid VXLAN of another VNI. */
export type VxlanDropReason = VxlanMalformedReason | 'wrong_vni';

/**
 * The inner frame of a VXLAN UDP payload, as a view into `payload` (no copy), or the reason
 * it is dropped. Malformation is checked before the VNI, so a broken datagram counts as
 * malformed whatever VNI it claims. `wantVni` null accepts every VNI. Never throws.
 */
export function decapVxlan(payload: Uint8Array, wantVni: number | null): Uint8Array | VxlanDropReason {
  if (payload.length < VXLAN_HEADER_BYTES) return 'too_short';
  if ((payload[0] & FLAG_VNI_VALID) === 0) return 'no_vni_flag';
  if (payload.length < VXLAN_HEADER_BYTES + INNER_ETHERNET_HEADER_BYTES) return 'inner_too_short';
  if (wantVni !== null && vxlanVni(payload) !== wantVni) return 'wrong_vni';
  return payload.subarray(VXLAN_HEADER_BYTES);
}

/** The 24-bit VNI of a payload at least VXLAN_HEADER_BYTES long (bytes 4..6; byte 7 is reserved). */
export function vxlanVni(payload: Uint8Array): number {
  return u32(payload, 4) >>> 8;
}
