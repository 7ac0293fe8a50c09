import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { copyRecord, readCaptureBuffer, createCaptureWriter } from '../../src/pcap/index.js';
import type { PacketRecord } from '../../src/pcap/record.js';

const ETHERNET = 1;

/** Ethernet corpus captures that together look like a mixed workload: HTTP/1.1, HTTP/2, DNS, VLAN, IPv6. */
const SEED_FILES = [
  'suricata-verify__http-protocol-nodup__input.pcap',
  'zeek__docker-http-upgrade.pcap',
  'zeek__100-continue.pcap',
  'suricata-verify__http2-keywords__input.pcap',
  'pcapplusplus__DnsPackets.pcap',
  'pcapplusplus__VlanPackets.pcap',
  'tcpdump__dns_tcp.pcap',
];

function seedRecords(pcapDir: string): PacketRecord[] {
  const out: PacketRecord[] = [];
  for (const name of SEED_FILES) {
    const { records } = readCaptureBuffer(readFileSync(join(pcapDir, name)));
    for (const r of records) if (r.linkType === ETHERNET) out.push(copyRecord(r));
  }
  return out;
}

/** The file name says the layout: a file of an older layout (another name) is never reused. */
export const BIG_CAPTURE_FILE = 'big-v3.pcap';

/** Updates a 16-bit one's-complement checksum at `at` for one covered word changed from `was` to `now` (RFC 1624, eqn. 3). */
function patchChecksum(frame: Uint8Array, at: number, was: number, now: number): void {
  let sum = (~((frame[at] << 8) | frame[at + 1]) & 0xffff) + (~was & 0xffff) + now;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  frame[at] = checksum >> 8;
  frame[at + 1] = checksum & 0xff;
}

/** Where an untagged IP frame keeps what shiftAddresses changes, or null for any other frame. */
interface IpLayout {
  /** Offsets of the low 16-bit word of the source and of the destination address. */
  addressWords: [number, number];
  /** Offset of the IPv4 header checksum; -1 for IPv6, which has none. */
  headerChecksumAt: number;
  protocol: number;
  /** Offset of the transport header; -1 when this packet does not hold it (a later fragment, an IPv6 extension header). */
  transport: number;
}

function ipLayout(frame: Uint8Array): IpLayout | null {
  if (frame.length >= 34 && frame[12] === 0x08 && frame[13] === 0x00 && frame[14] >> 4 === 4) {
    const firstFragment = ((frame[20] & 0x1f) | frame[21]) === 0;
    return {
      addressWords: [28, 32],
      headerChecksumAt: 24,
      protocol: frame[23],
      transport: firstFragment ? 14 + (frame[14] & 0x0f) * 4 : -1,
    };
  }
  if (frame.length >= 54 && frame[12] === 0x86 && frame[13] === 0xdd && frame[14] >> 4 === 6) {
    return { addressWords: [36, 52], headerChecksumAt: -1, protocol: frame[20], transport: 54 };
  }
  return null;
}

/**
 * Adds `round` to the low 16 bits of both IP addresses of an untagged frame, so every round
 * has flows of its own (a 4-tuple seen again with the same sequence numbers is a retransmission
 * to tshark, which then dissects nothing). The same address always maps to the same address in
 * a round, so both directions stay one flow. The IPv4 header checksum and the TCP or UDP
 * checksum (whose pseudo-header holds the addresses) are patched, so they stay as valid as they were.
 */
function shiftAddresses(frame: Uint8Array, round: number): void {
  const ip = ipLayout(frame);
  if (ip === null) return;
  const { protocol, transport } = ip;
  const checksumAt =
    transport < 0 ? -1 : protocol === 6 ? transport + 16 : protocol === 17 ? transport + 6 : -1;
  // A zero UDP checksum means "none": it stays zero.
  const patchTransport =
    checksumAt > 0 &&
    checksumAt + 1 < frame.length &&
    (protocol === 6 || (frame[checksumAt] | frame[checksumAt + 1]) !== 0);
  for (const at of ip.addressWords) {
    const was = (frame[at] << 8) | frame[at + 1];
    const now = (was + round) & 0xffff;
    frame[at] = now >> 8;
    frame[at + 1] = now & 0xff;
    if (ip.headerChecksumAt >= 0) patchChecksum(frame, ip.headerChecksumAt, was, now);
    if (patchTransport) patchChecksum(frame, checksumAt, was, now);
  }
  // A UDP checksum that comes out as zero is sent as all ones (RFC 768).
  if (patchTransport && protocol === 17 && (frame[checksumAt] | frame[checksumAt + 1]) === 0) {
    frame[checksumAt] = 0xff;
    frame[checksumAt + 1] = 0xff;
  }
}

/**
 * Builds (once) a pcap of at least `minBytes` by repeating the corpus packets, each round
 * shifted in time and in its IP addresses so no flow repeats (up to 65,536 rounds). Returns the path.
 */
export async function ensureBigCapture(path: string, minBytes: number, pcapDir: string): Promise<string> {
  if (existsSync(path) && statSync(path).size >= minBytes) return path;
  const seeds = seedRecords(pcapDir);
  const writer = createCaptureWriter(path, { format: 'pcap' });
  let written = 24;
  // One packet every 10 µs from a fixed start: timestamps increase through the whole file.
  let clockUs = 1_700_000_000 * 1_000_000;
  for (let round = 0; written < minBytes; round++) {
    if (round > 0xffff) throw new Error('the big capture would repeat its flows: more than 65,536 rounds');
    for (const seed of seeds) {
      const data = Uint8Array.from(seed.data);
      shiftAddresses(data, round);
      clockUs += 10;
      const tsSec = Math.floor(clockUs / 1_000_000);
      writer.write({ ...seed, data, tsSec, tsNsec: (clockUs % 1_000_000) * 1000 });
      written += 16 + data.length;
    }
    await writer.flush();
  }
  await writer.close();
  return path;
}
