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

/** Rewrites the low byte of both IPv4 addresses of an untagged frame and fixes the header checksum. */
function shiftIpv4(frame: Uint8Array, round: number): void {
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[14] >> 4 !== 4) return;
  const ihl = (frame[14] & 0x0f) * 4;
  frame[29] = (frame[29] + round) & 0xff;
  frame[33] = (frame[33] + round) & 0xff;
  frame[24] = 0;
  frame[25] = 0;
  let sum = 0;
  for (let i = 14; i < 14 + ihl; i += 2) sum += (frame[i] << 8) | frame[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  frame[24] = checksum >> 8;
  frame[25] = checksum & 0xff;
}

/**
 * Builds (once) a pcap of at least `minBytes` by repeating the corpus packets, each round
 * shifted in time and in its IPv4 addresses so flows do not simply repeat. Returns the path.
 */
export async function ensureBigCapture(path: string, minBytes: number, pcapDir: string): Promise<string> {
  if (existsSync(path) && statSync(path).size >= minBytes) return path;
  const seeds = seedRecords(pcapDir);
  const writer = createCaptureWriter(path, { format: 'pcap' });
  let written = 24;
  // One packet every 10 µs from a fixed start: timestamps increase through the whole file.
  let clockUs = 1_700_000_000 * 1_000_000;
  for (let round = 0; written < minBytes; round++) {
    for (const seed of seeds) {
      const data = Uint8Array.from(seed.data);
      shiftIpv4(data, round);
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
