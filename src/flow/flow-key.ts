/**
 * The flow key: a 5-tuple where both directions name the same stream. Instead of building a
 * string per packet, the table hashes the address and port bytes into a number with a
 * direction-independent combination (the two endpoint hashes are added), so a packet and its
 * reply land in the same bucket; the bucket then compares the stored bytes exactly.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over one endpoint's address bytes (`length` of them at `at` in `bytes`) and port. */
function hashEndpoint(bytes: Uint8Array, at: number, length: number, port: number): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[at + i], FNV_PRIME);
  h = Math.imul(h ^ (port >>> 8), FNV_PRIME);
  h = Math.imul(h ^ (port & 0xff), FNV_PRIME);
  return h;
}

/** A packet's two addresses, `length` bytes each, where they are (not copied). */
export interface AddressKey {
  src: Uint8Array;
  srcAt: number;
  dst: Uint8Array;
  dstAt: number;
  length: number;
}

/** Same value for (src, dst) and (dst, src): the sum of the endpoint hashes is symmetric. */
export function flowHash(
  srcAddr: Uint8Array,
  srcPort: number,
  dstAddr: Uint8Array,
  dstPort: number,
  proto: number,
): number {
  const length = srcAddr.length;
  return mixFlow(
    hashEndpoint(srcAddr, 0, length, srcPort) + hashEndpoint(dstAddr, 0, length, dstPort),
    proto,
  );
}

/** flowHash of addresses given where they are (typically both in one packet: no views needed). */
export function flowHashAt(key: AddressKey, srcPort: number, dstPort: number, proto: number): number {
  const { src, srcAt, dst, dstAt, length } = key;
  return mixFlow(
    hashEndpoint(src, srcAt, length, srcPort) + hashEndpoint(dst, dstAt, length, dstPort),
    proto,
  );
}

/** A final avalanche step so that the proto and the endpoints' sum spread over all bits. */
function mixFlow(endpointSum: number, proto: number): number {
  let h = Math.imul((endpointSum | 0) ^ proto, 0x9e3779b1);
  h ^= h >>> 15;
  return h | 0;
}

/** Whether the `length` bytes at `at` in `stored` (a flow's address slab) are those at `addrAt` in `addr`. */
export function sameAddrAt(
  stored: Uint8Array,
  at: number,
  addr: Uint8Array,
  addrAt: number,
  length: number,
): boolean {
  for (let i = 0; i < length; i++) if (stored[at + i] !== addr[addrAt + i]) return false;
  return true;
}

/** 0: well-known (< 1024), 1: registered (< 32768), 2: ephemeral (the range stacks pick client ports from). */
function portRank(port: number): number {
  if (port < 1024) return 0;
  return port < 32768 ? 1 : 2;
}

/**
 * Which side of a stream picked up mid-connection (no SYN seen) is the server: the one with
 * the "more server-like" port (well-known < registered < ephemeral). Returns 0 when the
 * packet's source looks like the server, 1 when the destination does, -1 when the ports
 * do not tell (then the first packet's sender is taken as the client).
 */
export function guessServerSide(srcPort: number, dstPort: number): -1 | 0 | 1 {
  const s = portRank(srcPort);
  const d = portRank(dstPort);
  if (s === d) return -1;
  return s < d ? 0 : 1;
}
