/** Test packets are written as hex, one header field group per string, so each can carry a comment. */
export function hexBytes(...parts: string[]): Uint8Array {
  const hex = parts.join('').replace(/\s+/g, '');
  if (hex.length % 2 !== 0) throw new Error(`odd hex length ${hex.length}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Ethernet header with the given type: dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb. */
export function ethernetHeader(type: string): string {
  return `001122334455 66778899aabb ${type}`;
}

/**
 * The IPv4/TCP packet of VPP's `show trace` example (seed 002): 10.1.2.3 -> 172.30.1.2,
 * ttl 64, id 0x11ec, DF, checksum 0x6fb4 (valid: the header sums to 0xffff), TCP 80 -> 58430,
 * seq 0x5db741c8, ack 0x709defa7, FIN+ACK, 32-byte header, window 235, checksum 0x55c3.
 * The 12 option bytes are ours: NOP, NOP, timestamps val 1 ecr 2.
 */
export const VPP_IPV4 = '4500 0034 11ec 4000 4006 6fb4 0a010203 ac1e0102';
export const VPP_TCP = '0050 e43e 5db741c8 709defa7 8011 00eb 55c3 0000 0101080a 00000001 00000002';
