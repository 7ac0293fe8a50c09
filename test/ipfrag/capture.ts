/**
 * Test-only helpers: an IP fragment extractor written independently of the project's decoders
 * (built in parallel), so that the reassembler is checked against tshark on real captures
 * without depending on them, and a tiny pcap writer to hand packets back to tshark.
 */
import type { FragmentReassembler, ReassemblyResult } from '../../src/flow/ipfrag/index.js';
import { readCaptureBuffer } from '../../src/pcap/index.js';

export interface Frame {
  /** 1-based, as tshark numbers frames. */
  number: number;
  data: Uint8Array;
  tsUs: number;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;

/** Frames of a capture file, read with the project's reader; Ethernet only. */
export function readFrames(buf: Uint8Array): Frame[] {
  const { records, error } = readCaptureBuffer(buf);
  if (error) throw error;
  return records.map((record, i) => {
    if (record.linkType !== LINKTYPE_ETHERNET) throw new Error('test extractor handles Ethernet only');
    return { number: i + 1, data: record.data, tsUs: record.tsSec * 1e6 + Math.floor(record.tsNsec / 1000) };
  });
}

export type Fragment =
  | {
      family: 4;
      header: Uint8Array;
      payload: Uint8Array;
      src: number;
      dst: number;
      id: number;
      protocol: number;
      offset: number;
      more: boolean;
    }
  | {
      family: 6;
      unfragmentable: Uint8Array;
      payload: Uint8Array;
      src: Uint8Array;
      dst: Uint8Array;
      id: number;
      nextHeader: number;
      offset: number;
      more: boolean;
    };

/** The IP fragment carried by an Ethernet frame (VLAN tags and MPLS labels skipped), or null. */
export function extractFragment(frame: Uint8Array): Fragment | null {
  let pos = 12;
  let etherType = u16(frame, pos);
  while (etherType === 0x8100 || etherType === 0x88a8) {
    pos += 4;
    etherType = u16(frame, pos);
  }
  pos += 2;
  if (etherType === 0x8847) {
    while (pos + 4 <= frame.length && (frame[pos + 2] & 1) === 0) pos += 4;
    pos += 4;
    etherType = frame[pos] >> 4 === 6 ? 0x86dd : 0x0800;
  }
  if (etherType === 0x0800) return ipv4Fragment(frame.subarray(pos));
  if (etherType === 0x86dd) return ipv6Fragment(frame.subarray(pos));
  return null;
}

function ipv4Fragment(ip: Uint8Array): Fragment | null {
  if (ip.length < 20 || ip[0] >> 4 !== 4) return null;
  const headerLength = (ip[0] & 0x0f) * 4;
  const totalLength = Math.min(u16(ip, 2), ip.length);
  const flagsOffset = u16(ip, 6);
  const more = (flagsOffset & 0x2000) !== 0;
  const offset = (flagsOffset & 0x1fff) * 8;
  if (!more && offset === 0) return null;
  return {
    family: 4,
    header: ip.subarray(0, headerLength),
    payload: ip.subarray(headerLength, totalLength),
    src: u32(ip, 12),
    dst: u32(ip, 16),
    id: u16(ip, 4),
    protocol: ip[9],
    offset,
    more,
  };
}

/** Extension headers that may precede a Fragment header (RFC 8200 §4.1 order). */
const UNFRAGMENTABLE_HEADERS = new Set([0, 43, 60]);

function ipv6Fragment(ip: Uint8Array): Fragment | null {
  if (ip.length < 40 || ip[0] >> 4 !== 6) return null;
  const end = Math.min(40 + u16(ip, 4), ip.length);
  let nextHeader = ip[6];
  let pos = 40;
  while (UNFRAGMENTABLE_HEADERS.has(nextHeader) && pos + 8 <= end) {
    nextHeader = ip[pos];
    pos += (ip[pos + 1] + 1) * 8;
  }
  if (nextHeader !== 44 || pos + 8 > end) return null;
  const offsetFlags = u16(ip, pos + 2);
  return {
    family: 6,
    unfragmentable: ip.subarray(0, pos),
    payload: ip.subarray(pos + 8, end),
    src: ip.subarray(8, 24),
    dst: ip.subarray(24, 40),
    id: u32(ip, pos + 4),
    nextHeader: ip[pos],
    offset: offsetFlags & 0xfff8,
    more: (offsetFlags & 1) !== 0,
  };
}

export function feed(r: FragmentReassembler, f: Fragment, tsUs: number): ReassemblyResult {
  return f.family === 4
    ? r.addIpv4(f.header, f.payload, f.src, f.dst, f.id, f.protocol, f.offset, f.more, tsUs)
    : r.addIpv6(f.unfragmentable, f.payload, f.src, f.dst, f.id, f.nextHeader, f.offset, f.more, tsUs);
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export const LINKTYPE_RAW = 101;

/** A µs pcap holding `packets` (timestamps 0), for tshark to dissect. */
export function writePcap(linkType: number, packets: Uint8Array[]): Uint8Array {
  const size = 24 + packets.reduce((n, p) => n + 16 + p.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC_US, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 262144, true);
  view.setUint32(20, linkType, true);
  let pos = 24;
  for (const p of packets) {
    view.setUint32(pos + 8, p.length, true);
    view.setUint32(pos + 12, p.length, true);
    out.set(p, pos + 16);
    pos += 16 + p.length;
  }
  return out;
}
