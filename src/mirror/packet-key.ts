import type { Layer } from '../decode/layer.js';
import { Ipv4Layer } from '../decode/ipv4.js';
import { Ipv6Layer } from '../decode/ipv6.js';
import { Ipv6ExtLayer, Ipv6FragmentLayer } from '../decode/ipv6ext.js';
import { formatIpv4, formatIpv6 } from '../decode/format.js';
import { flowHash } from '../flow/flow-key.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** Outcomes of reading a packet's key: index into KEY_PROBLEMS (0 is success). */
export const KEY_OK = 0;
export const KEY_NOT_IP = 1;
export const KEY_MALFORMED_IP = 2;
/** Stable drop reasons of the key problems, as error-drop counts them. */
export const KEY_PROBLEMS = ['', 'not an IP packet (never mirrored)', 'malformed outer IP header'] as const;

/**
 * What mirror rules look at in one packet: the OUTER (first) IP header and the transport
 * ports right after it. Filled in place for every packet (one instance per classify node),
 * so the hot path allocates nothing. Addresses stay in the packet: IPv4 as numbers, IPv6 as
 * offsets of their 16 bytes in `data`. Ports are -1 when unknown: not TCP/UDP, a non-first
 * fragment, or cut by the snaplen.
 */
export class PacketKey {
  family: 4 | 6 = 4;
  /** IPv4 protocol, or IPv6's upper-layer header after its extension headers. */
  proto = 0;
  data: Uint8Array = new Uint8Array(0);
  src4 = 0;
  dst4 = 0;
  src6Offset = 0;
  dst6Offset = 0;
  srcPort = -1;
  dstPort = -1;
  /** Any fragment, first or later (later ones have no ports). */
  fragment = false;
  private readonly hashSrc4 = new Uint8Array(4);
  private readonly hashDst4 = new Uint8Array(4);
  private readonly hashSrc6 = new Uint8Array(16);
  private readonly hashDst6 = new Uint8Array(16);

  /**
   * The symmetric 5-tuple hash (both directions give the same value). Fragments hash on
   * addresses and protocol only, so every fragment of a datagram — the first one carries
   * ports, the rest do not — takes the same path and can be reassembled at the far end.
   */
  flowHash(): number {
    const ports = !this.fragment && this.srcPort >= 0;
    const sport = ports ? this.srcPort : 0;
    const dport = ports ? this.dstPort : 0;
    if (this.family === 4) {
      writeU32(this.hashSrc4, this.src4);
      writeU32(this.hashDst4, this.dst4);
      return flowHash(this.hashSrc4, sport, this.hashDst4, dport, this.proto);
    }
    const { data, src6Offset, dst6Offset } = this;
    for (let i = 0; i < 16; i++) {
      this.hashSrc6[i] = data[src6Offset + i];
      this.hashDst6[i] = data[dst6Offset + i];
    }
    return flowHash(this.hashSrc6, sport, this.hashDst6, dport, this.proto);
  }

  /** `IPv4 proto 6 10.0.0.1:80 -> 10.0.0.2:1234` (trace lines only). */
  describe(): string {
    const src = this.family === 4 ? formatIpv4(this.src4) : formatIpv6(this.data, this.src6Offset);
    const dst = this.family === 4 ? formatIpv4(this.dst4) : formatIpv6(this.data, this.dst6Offset);
    const port = (p: number) => (p >= 0 ? `:${p}` : '');
    const frag = this.fragment ? ', fragment' : '';
    return `IPv${this.family} proto ${this.proto} ${src}${port(this.srcPort)} -> ${dst}${port(this.dstPort)}${frag}`;
  }
}

function writeU32(out: Uint8Array, value: number): void {
  out[0] = value >>> 24;
  out[1] = (value >>> 16) & 0xff;
  out[2] = (value >>> 8) & 0xff;
  out[3] = value & 0xff;
}

/** Index of the first IPv4/IPv6 layer, or -1. */
export function firstIpLayer(layers: readonly Layer[]): number {
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    if (layer instanceof Ipv4Layer || layer instanceof Ipv6Layer) return i;
  }
  return -1;
}

/**
 * Fills `key` from a decoded packet's outer IP header (a VXLAN packet is classified by its
 * outer headers). Returns KEY_OK, KEY_NOT_IP or KEY_MALFORMED_IP (a header too short or
 * nonsense: version, IHL).
 */
export function readPacketKey(layers: readonly Layer[], data: Uint8Array, key: PacketKey): number {
  const index = firstIpLayer(layers);
  if (index < 0) return KEY_NOT_IP;
  const ip = layers[index] as Ipv4Layer | Ipv6Layer;
  key.data = data;
  key.srcPort = -1;
  key.dstPort = -1;
  // Where the transport header starts; -1 when it is not in this packet (a later fragment).
  let l4Offset: number;
  if (ip instanceof Ipv4Layer) {
    if (ip.version !== 4 || ip.headerLength < 20) return KEY_MALFORMED_IP;
    key.family = 4;
    key.proto = ip.protocol;
    key.src4 = ip.src;
    key.dst4 = ip.dst;
    key.fragment = ip.fragmented;
    l4Offset = ip.fragmentOffset === 0 ? ip.payloadOffset : -1;
  } else {
    if (ip.version !== 6 || ip.headerLength < 40) return KEY_MALFORMED_IP;
    key.family = 6;
    key.src6Offset = ip.srcOffset;
    key.dst6Offset = ip.dstOffset;
    l4Offset = walkIpv6Chain(layers, index, ip, key);
  }
  const hasPorts = key.proto === IPPROTO_TCP || key.proto === IPPROTO_UDP;
  if (hasPorts && l4Offset >= 0 && l4Offset + 4 <= ip.payloadEnd) {
    key.srcPort = (data[l4Offset] << 8) | data[l4Offset + 1];
    key.dstPort = (data[l4Offset + 2] << 8) | data[l4Offset + 3];
  }
  return KEY_OK;
}

/**
 * Follows IPv6 extension headers (hop-by-hop, routing, destination options, fragment) to the
 * upper-layer protocol, setting key.proto and key.fragment. Returns where the upper-layer
 * header starts, or -1 for a non-first fragment or a chain cut short (no ports then).
 */
function walkIpv6Chain(layers: readonly Layer[], index: number, ip: Ipv6Layer, key: PacketKey): number {
  key.proto = ip.nextHeader;
  key.fragment = false;
  let offset = ip.payloadOffset;
  for (let i = index + 1; i < layers.length; i++) {
    const layer = layers[i];
    if (layer instanceof Ipv6ExtLayer) {
      if (layer.truncated) return -1;
      key.proto = layer.nextHeader;
    } else if (layer instanceof Ipv6FragmentLayer) {
      if (layer.truncated) return -1;
      key.proto = layer.nextHeader;
      key.fragment = true;
      if (layer.fragmentOffset !== 0) return -1;
    } else {
      break;
    }
    offset = layer.payloadOffset;
  }
  return offset;
}
