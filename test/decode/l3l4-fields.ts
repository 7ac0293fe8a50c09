import type { Layer } from '../../src/decode/layer.js';
import type { IcmpLayer } from '../../src/decode/icmp.js';
import type { Ipv4Layer } from '../../src/decode/ipv4.js';
import type { Ipv6Layer } from '../../src/decode/ipv6.js';
import type { SctpLayer } from '../../src/decode/sctp.js';
import type { TcpLayer } from '../../src/decode/tcp.js';
import type { UdpLayer } from '../../src/decode/udp.js';
import { formatIpv4, formatIpv6 } from '../../src/decode/format.js';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';

/**
 * The L3/L4 fields the differential test compares, as tshark prints them with
 * `-T fields -E separator=/t -E occurrence=a`: one comma-joined list per field, outermost
 * occurrence first (tunnels and ICMP-quoted headers add occurrences).
 */
export const FIELDS = [
  'ip.src',
  'ip.dst',
  'ip.proto',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.nxt',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'sctp.srcport',
  'sctp.dstport',
] as const;

export type FieldName = (typeof FIELDS)[number];
export type PacketFields = Record<FieldName, string[]>;

export interface TsharkFrame {
  frame: number;
  /** MD5 of the frame bytes, to pair tshark's frames with our records (see `md5Hex`). */
  md5: string;
  fields: PacketFields;
}

/** tshark's fields per frame. IP reassembly is off so each frame stands alone, as in our decoder. */
export async function tsharkFrames(path: string): Promise<TsharkFrame[]> {
  const args = ['-n', '-r', path, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];
  args.push('-o', 'frame.generate_md5_hash:TRUE', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a');
  args.push('-e', 'frame.number', '-e', 'frame.md5_hash');
  for (const f of FIELDS) args.push('-e', f);
  // tshark exits non-zero on files that end in damage but still prints the frames it read.
  const stdout = await new Promise<string>((resolve) =>
    execFile('tshark', args, { maxBuffer: 256 << 20 }, (_error, out) => resolve(String(out ?? ''))),
  );
  const frames: TsharkFrame[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const cells = line.split('\t');
    const fields = {} as PacketFields;
    FIELDS.forEach((f, i) => (fields[f] = cells[i + 2] ? cells[i + 2].split(',') : []));
    frames.push({ frame: Number(cells[0]), md5: cells[1], fields });
  }
  return frames;
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

function emptyFields(): PacketFields {
  const row = {} as PacketFields;
  for (const f of FIELDS) row[f] = [];
  return row;
}

const PORT_FIELDS: Record<string, [FieldName, FieldName]> = {
  tcp: ['tcp.srcport', 'tcp.dstport'],
  udp: ['udp.srcport', 'udp.dstport'],
  sctp: ['sctp.srcport', 'sctp.dstport'],
};

/** The same fields from our layers (complete headers only, as tshark shows nothing for a cut header). */
export function ourFields(layers: readonly Layer[], data: Uint8Array): PacketFields {
  const row = emptyFields();
  for (const layer of layers) {
    if (layer.kind === 'ipv4' && layer.headerLength >= 20) {
      const ip = layer as Ipv4Layer;
      row['ip.src'].push(formatIpv4(ip.src));
      row['ip.dst'].push(formatIpv4(ip.dst));
      row['ip.proto'].push(String(ip.protocol));
    } else if (layer.kind === 'ipv6' && layer.headerLength >= 40) {
      const ip = layer as Ipv6Layer;
      row['ipv6.src'].push(formatIpv6(data, ip.srcOffset));
      row['ipv6.dst'].push(formatIpv6(data, ip.dstOffset));
      row['ipv6.nxt'].push(String(ip.nextHeader));
    } else if (PORT_FIELDS[layer.kind] && layer.headerLength > 0) {
      const l4 = layer as TcpLayer | UdpLayer | SctpLayer;
      row[PORT_FIELDS[layer.kind][0]].push(String(l4.srcPort));
      row[PORT_FIELDS[layer.kind][1]].push(String(l4.dstPort));
    }
  }
  return row;
}

/** ICMP/ICMPv6 error messages quote an IP header that tshark decodes and we keep as payload. */
export function quotesAHeader(layers: readonly Layer[]): boolean {
  return layers.some((l) => {
    if (l.kind !== 'icmp' && l.kind !== 'icmpv6') return false;
    const type = (l as IcmpLayer).type;
    return l.kind === 'icmp' ? [3, 4, 5, 11, 12].includes(type) : type >= 1 && type <= 4;
  });
}

/** Field names whose lists differ; with `prefixOnly`, ours only has to be a prefix of tshark's. */
export function differingFields(ours: PacketFields, theirs: PacketFields, prefixOnly: boolean): FieldName[] {
  return FIELDS.filter((f) => {
    const a = ours[f];
    const b = theirs[f];
    if (prefixOnly) return a.some((v, i) => b[i] !== v);
    return a.length !== b.length || a.some((v, i) => b[i] !== v);
  });
}
