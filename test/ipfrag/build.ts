/** Hand-built fragments for the unit tests: every byte written here, none computed by the code under test. */
import type { FragmentReassembler, ReassemblyResult } from '../../src/flow/ipfrag/index.js';

export const SRC = 0x0a000001; // 10.0.0.1
export const DST = 0x0a000002; // 10.0.0.2
export const UDP = 17;

/**
 * A fragment's IPv4 header: 10.0.0.1 → 10.0.0.2, UDP, id 0x1234, TTL 64, checksum left 0
 * (the reassembler must recompute it). Flags/offset as given.
 */
export function fragmentHeader(offsetBytes: number, more: boolean, id = 0x1234): Uint8Array {
  const flagsOffset = (more ? 0x2000 : 0) | (offsetBytes >> 3);
  return Uint8Array.from([
    0x45,
    0x00,
    0x00,
    0x00,
    id >> 8,
    id & 0xff,
    flagsOffset >> 8,
    flagsOffset & 0xff,
    0x40,
    UDP,
    0x00,
    0x00,
    10,
    0,
    0,
    1,
    10,
    0,
    0,
    2,
  ]);
}

/** 64 payload bytes 0x00..0x3f: each byte names its own offset, so misplacement is visible. */
export const PAYLOAD = Uint8Array.from({ length: 64 }, (_, i) => i);

/**
 * The unfragmented datagram: header with total length 84 (0x0054), flags/offset 0 and checksum
 * 0x5463, computed by hand: 4500+0054+1234+0000+4011+0000+0a00+0001+0a00+0002 = 0xab9c, ~ = 0x5463.
 */
export const EXPECTED_PACKET = Uint8Array.from([
  0x45,
  0x00,
  0x00,
  0x54,
  0x12,
  0x34,
  0x00,
  0x00,
  0x40,
  0x11,
  0x54,
  0x63,
  10,
  0,
  0,
  1,
  10,
  0,
  0,
  2,
  ...PAYLOAD,
]);

export interface V4Fragment {
  offset: number;
  payload: Uint8Array;
  more: boolean;
  id?: number;
}

/** Cuts PAYLOAD at the given offsets (multiples of 8): [0,a), [a,b), ..., [z,64). */
export function split(cuts: number[]): V4Fragment[] {
  const bounds = [0, ...cuts, PAYLOAD.length];
  return bounds.slice(0, -1).map((start, i) => ({
    offset: start,
    payload: PAYLOAD.subarray(start, bounds[i + 1]),
    more: i < bounds.length - 2,
  }));
}

export function addV4(r: FragmentReassembler, f: V4Fragment, tsUs = 0): ReassemblyResult {
  const id = f.id ?? 0x1234;
  return r.addIpv4(
    fragmentHeader(f.offset, f.more, id),
    f.payload,
    SRC,
    DST,
    id,
    UDP,
    f.offset,
    f.more,
    tsUs,
  );
}

/** Feeds fragments in order; returns the last result. */
export function addAll(r: FragmentReassembler, fragments: V4Fragment[], tsUs = 0): ReassemblyResult {
  let result: ReassemblyResult = { status: 'pending' };
  for (const f of fragments) result = addV4(r, f, tsUs);
  return result;
}

export function filled(char: string, length: number): Uint8Array {
  return new Uint8Array(length).fill(char.charCodeAt(0));
}
