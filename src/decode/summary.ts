import type { PacketRecord } from '../pcap/record.js';
import type { Layer } from './layer.js';
import type { ArpLayer } from './arp.js';
import type { IcmpLayer } from './icmp.js';
import type { Ipv4Layer } from './ipv4.js';
import type { Ipv6Layer } from './ipv6.js';
import type { SctpLayer } from './sctp.js';
import type { TcpLayer } from './tcp.js';
import type { UdpLayer } from './udp.js';
import { formatIpv4, formatIpv6, formatMac } from './format.js';
import { ipProtoName } from './names.js';
import { tcpdumpIcmpText, tcpdumpTcpFlags, tcpdumpTcpText, tcpdumpVxlanText } from './tcpdump.js';
import type { VxlanLayer } from './vxlan.js';

/** What one packet is, in the terms a packet list or a flow table needs. */
export interface PacketSummary {
  /** 'ipv4', 'ipv6', 'arp', or the kind of the last layer decoded ('ethernet' for LLC...); null if nothing decoded. */
  l3: string | null;
  /** Addresses of the innermost IP layer (formatted), or ARP's protocol addresses. */
  src: string | null;
  dst: string | null;
  /** True when the innermost IP layer sits inside another (VXLAN, IP-in-IP). */
  tunneled: boolean;
  /** 'tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'esp', 'ah' or the IANA keyword/number of the L4 protocol. */
  proto: string | null;
  sport: number | null;
  dport: number | null;
  /** tcpdump's flag string, e.g. "S." for SYN+ACK ("[S.]" is printed). */
  tcpFlags: string | null;
  /** IP total length (IPv4) or 40 + payload length (IPv6), as the header claims. */
  ipLength: number | null;
  /** Bytes of L4 payload present in the capture. */
  payloadLength: number;
  /** The innermost IP layer is a fragment (or its L4 header belongs to a fragmented datagram). */
  fragmented: boolean;
}

const IP_KINDS = new Set(['ipv4', 'ipv6']);
const IPV6_EXT_KINDS = new Set(['ipv6.hopopts', 'ipv6.routing', 'ipv6.dstopts', 'ipv6.fragment', 'ah']);

function innermostIpIndex(layers: readonly Layer[]): number {
  for (let i = layers.length - 1; i >= 0; i--) if (IP_KINDS.has(layers[i].kind)) return i;
  return -1;
}

/** The layer after the IP header and its extension headers, if any. */
function transportAfter(layers: readonly Layer[], ipIndex: number): Layer | null {
  let i = ipIndex + 1;
  while (i < layers.length && IPV6_EXT_KINDS.has(layers[i].kind)) i++;
  return i < layers.length ? layers[i] : null;
}

function emptySummary(l3: string | null): PacketSummary {
  return {
    l3,
    src: null,
    dst: null,
    tunneled: false,
    proto: null,
    sport: null,
    dport: null,
    tcpFlags: null,
    ipLength: null,
    payloadLength: 0,
    fragmented: false,
  };
}

export function summarizePacket(layers: readonly Layer[], data: Uint8Array): PacketSummary {
  const ipIndex = innermostIpIndex(layers);
  if (ipIndex < 0) return summarizeNonIp(layers);
  return summarizeIpAt(layers, ipIndex, data);
}

function summarizeIpAt(layers: readonly Layer[], ipIndex: number, data: Uint8Array): PacketSummary {
  const ip = layers[ipIndex];
  const summary = emptySummary(ip.kind);
  summary.tunneled = innermostIpIndex(layers.slice(0, ipIndex)) >= 0;
  fillIp(summary, ip, data, layers);
  fillTransport(summary, transportAfter(layers, ipIndex));
  return summary;
}

function summarizeNonIp(layers: readonly Layer[]): PacketSummary {
  const last = layers.length ? layers[layers.length - 1] : null;
  const summary = emptySummary(last ? last.kind : null);
  if (last && last.kind === 'arp' && !last.truncated) {
    const arp = last as ArpLayer;
    if (arp.protocolLength === 4) {
      summary.src = formatIpv4(arp.senderIpv4);
      summary.dst = formatIpv4(arp.targetIpv4);
    }
  }
  return summary;
}

function fillIp(summary: PacketSummary, ip: Layer, data: Uint8Array, layers: readonly Layer[]): void {
  if (ip.kind === 'ipv4') {
    const v4 = ip as Ipv4Layer;
    if (v4.headerLength < 20) return;
    summary.src = formatIpv4(v4.src);
    summary.dst = formatIpv4(v4.dst);
    summary.proto = ipProtoName(v4.protocol);
    summary.ipLength = v4.totalLength;
    summary.fragmented = v4.fragmented;
    return;
  }
  const v6 = ip as Ipv6Layer;
  if (v6.headerLength < 40) return;
  summary.src = formatIpv6(data, v6.srcOffset);
  summary.dst = formatIpv6(data, v6.dstOffset);
  summary.ipLength = 40 + v6.payloadLength;
  summary.proto = ipProtoName(lastNextHeader(v6, layers));
  summary.fragmented = layers.some((l) => l.kind === 'ipv6.fragment' && l.offset > v6.offset);
}

/** The protocol after the last IPv6 extension header (as far as headers were decoded). */
function lastNextHeader(v6: Ipv6Layer, layers: readonly Layer[]): number {
  let next = v6.nextHeader;
  for (const layer of layers) {
    if (layer.offset > v6.offset && IPV6_EXT_KINDS.has(layer.kind) && !layer.truncated) {
      next = (layer as unknown as { nextHeader: number }).nextHeader;
    }
  }
  return next;
}

function fillTransport(summary: PacketSummary, l4: Layer | null): void {
  if (l4 === null || l4.headerLength === 0) return;
  summary.payloadLength = l4.payloadEnd - l4.payloadOffset;
  if (l4.kind === 'tcp' || l4.kind === 'udp' || l4.kind === 'sctp') {
    const ports = l4 as TcpLayer | UdpLayer | SctpLayer;
    summary.proto = l4.kind;
    summary.sport = ports.srcPort;
    summary.dport = ports.dstPort;
    if (l4.kind === 'tcp') summary.tcpFlags = tcpdumpTcpFlags((l4 as TcpLayer).flags);
  } else if (l4.kind === 'icmp' || l4.kind === 'icmpv6') {
    summary.proto = l4.kind;
  }
}

/** `HH:MM:SS.ffffff` in UTC, as tcpdump prints it with TZ=UTC. */
export function formatTimeOfDay(tsSec: number, tsNsec: number): string {
  const day = ((tsSec % 86400) + 86400) % 86400;
  const hh = String(Math.floor(day / 3600)).padStart(2, '0');
  const mm = String(Math.floor((day % 3600) / 60)).padStart(2, '0');
  const ss = String(day % 60).padStart(2, '0');
  const micros = String(Math.floor(tsNsec / 1000)).padStart(6, '0');
  return `${hh}:${mm}:${ss}.${micros}`;
}

/**
 * One tcpdump-style line (`tcpdump -n -S`: numeric, absolute sequence numbers, since a
 * single packet cannot know its connection's initial sequence number), e.g.
 * "12:34:56.123456 IP 10.0.0.1.1234 > 10.0.0.2.80: Flags [S], seq 1, win 64240, length 0".
 * Application payloads are not described (tcpdump would print DNS, HTTP... after this).
 */
export function formatPacketLine(record: PacketRecord, layers: readonly Layer[]): string {
  return `${formatTimeOfDay(record.tsSec, record.tsNsec)} ${describePacket(record, layers)}`;
}

function describePacket(record: PacketRecord, layers: readonly Layer[]): string {
  return describeFrom(record, layers, 0);
}

/**
 * Describes the layers from `start` on. A VXLAN tunnel is printed as tcpdump does: the
 * outer datagram, then the inner frame on the next line.
 */
function describeFrom(record: PacketRecord, layers: readonly Layer[], start: number): string {
  let ipIndex = start;
  while (ipIndex < layers.length && !IP_KINDS.has(layers[ipIndex].kind)) ipIndex++;
  if (ipIndex < layers.length) return describeIp(record, layers, ipIndex);
  const last = layers.length > start ? layers[layers.length - 1] : null;
  if (last && last.kind === 'arp') return describeArp(last as ArpLayer, record);
  return `${last ? last.kind : 'unknown link type'}, length ${record.origLen}`;
}

function describeArp(arp: ArpLayer, record: PacketRecord): string {
  const length = record.origLen - arp.offset;
  if (arp.truncated || arp.protocolLength !== 4) return `ARP, truncated, length ${length}`;
  const data = record.data;
  if (arp.operation === 1) {
    return `ARP, Request who-has ${formatIpv4(arp.targetIpv4)} tell ${formatIpv4(arp.senderIpv4)}, length ${length}`;
  }
  if (arp.operation === 2 && arp.hardwareLength === 6) {
    return `ARP, Reply ${formatIpv4(arp.senderIpv4)} is-at ${formatMac(data, arp.senderHardwareOffset)}, length ${length}`;
  }
  return `ARP, op ${arp.operation}, length ${length}`;
}

function describeIp(record: PacketRecord, layers: readonly Layer[], ipIndex: number): string {
  const data = record.data;
  const summary = summarizeIpAt(layers, ipIndex, data);
  const label = layers[ipIndex].kind === 'ipv4' ? 'IP' : 'IP6';
  if (summary.src === null) return `${label} truncated`;
  const l4 = transportAfter(layers, ipIndex);
  const ports = summary.sport !== null && l4 !== null && l4.kind !== 'sctp';
  const from = ports ? `${summary.src}.${summary.sport}` : summary.src;
  const to = ports ? `${summary.dst}.${summary.dport}` : summary.dst;
  const head = `${label} ${from} > ${to}: `;
  const l4Index = l4 === null ? -1 : layers.indexOf(l4);
  const tunnel = l4Index >= 0 && l4!.kind === 'udp' ? layers[l4Index + 1] : undefined;
  if (tunnel !== undefined && tunnel.kind === 'vxlan' && !tunnel.truncated) {
    return `${head}${tcpdumpVxlanText(tunnel as VxlanLayer)}\n${describeFrom(record, layers, l4Index + 2)}`;
  }
  const claimedEnd = layers[ipIndex].offset + (summary.ipLength ?? 0);
  return `${head}${describeL4(l4, summary, data, claimedEnd)}`;
}

function describeL4(l4: Layer | null, summary: PacketSummary, data: Uint8Array, claimedEnd: number): string {
  if (l4 === null || l4.headerLength === 0) return `ip-proto-${summary.proto}`;
  if (l4.kind === 'tcp') return tcpdumpTcpText(l4 as TcpLayer, data, claimedEnd);
  if (l4.kind === 'udp') return `UDP, length ${(l4 as UdpLayer).length - 8}`;
  if (l4.kind === 'icmp' || l4.kind === 'icmpv6') return tcpdumpIcmpText(l4 as IcmpLayer);
  return `${l4.kind}, length ${l4.payloadEnd - l4.offset}`;
}
