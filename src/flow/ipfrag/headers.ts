/**
 * Rebuilding the IP header of a reassembled datagram: RFC 791 §3.2 (IPv4: the first fragment's
 * header, total length updated, MF and offset cleared, checksum recomputed) and RFC 8200 §4.5
 * (IPv6: the first fragment's unfragmentable part, the Fragment header removed, the preceding
 * header's Next Header set to the Fragment header's, Payload Length updated).
 */

const IPV6_HEADER_LENGTH = 40;
const NEXT_HEADER_AH = 51;

/** IPv4 header bytes; the caller validated 20 <= length <= 60. */
export function buildIpv4Packet(header: Uint8Array, payload: Uint8Array, payloadLength: number): Uint8Array {
  const headerLength = header.length;
  const packet = new Uint8Array(headerLength + payloadLength);
  packet.set(header);
  packet.set(payload.subarray(0, payloadLength), headerLength);
  const totalLength = headerLength + payloadLength;
  packet[2] = totalLength >>> 8;
  packet[3] = totalLength & 0xff;
  // Keep the reserved and DF bits; clear MF and the 13-bit offset.
  packet[6] &= 0xc0;
  packet[7] = 0;
  packet[10] = 0;
  packet[11] = 0;
  const checksum = ipv4HeaderChecksum(packet, headerLength);
  packet[10] = checksum >>> 8;
  packet[11] = checksum & 0xff;
  return packet;
}

/** RFC 1071 ones'-complement sum over the first `length` bytes (even), complemented. */
export function ipv4HeaderChecksum(bytes: Uint8Array, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Offset, within the unfragmentable part, of the Next Header byte that names the Fragment
 * header: byte 6 of the IPv6 header when nothing else precedes it, else byte 0 of the last
 * extension header. -1 when the extension headers do not end exactly at `unfragmentable.length`.
 */
export function lastNextHeaderOffset(unfragmentable: Uint8Array): number {
  if (unfragmentable.length < IPV6_HEADER_LENGTH) return -1;
  let nextHeaderAt = 6;
  let pos = IPV6_HEADER_LENGTH;
  // Each header is at least 8 bytes, so this runs at most length/8 times.
  while (pos < unfragmentable.length) {
    if (pos + 2 > unfragmentable.length) return -1;
    const kind = unfragmentable[nextHeaderAt];
    const lengthField = unfragmentable[pos + 1];
    // AH counts 4-byte words minus 2; the other extension headers 8-byte words minus 1.
    const headerLength = kind === NEXT_HEADER_AH ? (lengthField + 2) * 4 : (lengthField + 1) * 8;
    nextHeaderAt = pos;
    pos += headerLength;
  }
  return pos === unfragmentable.length ? nextHeaderAt : -1;
}

/** A copy of the unfragmentable part whose last Next Header is `nextHeader` (offset from lastNextHeaderOffset). */
export function rewriteUnfragmentable(
  unfragmentable: Uint8Array,
  nextHeaderAt: number,
  nextHeader: number,
): Uint8Array {
  const copy = unfragmentable.slice();
  copy[nextHeaderAt] = nextHeader;
  return copy;
}

export function buildIpv6Packet(
  unfragmentable: Uint8Array,
  payload: Uint8Array,
  payloadLength: number,
): Uint8Array {
  const packet = new Uint8Array(unfragmentable.length + payloadLength);
  packet.set(unfragmentable);
  packet.set(payload.subarray(0, payloadLength), unfragmentable.length);
  const ipv6PayloadLength = packet.length - IPV6_HEADER_LENGTH;
  packet[4] = ipv6PayloadLength >>> 8;
  packet[5] = ipv6PayloadLength & 0xff;
  return packet;
}
