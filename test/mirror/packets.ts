/**
 * Hand-built packet bytes for the mirror tests (header layouts from RFC 791, RFC 8200,
 * RFC 793/768, IEEE 802.3, and the Linux cooked-capture formats), plus model objects.
 */
import type { MirrorFilter, MirrorRule, MirrorSession, PortRange } from '../../src/mirror/types.js';

export const TCP = 6;
export const UDP = 17;
export const ICMP = 1;
export const ICMPV6 = 58;

export function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

/** RFC 4291 text to 16 bytes (test-side parser, independent of the code under test). */
export function ipv6Bytes(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** 20-byte TCP header (data offset 5, ACK) or 8-byte UDP header, then `payload` bytes of 0xaa. */
export function l4(proto: number, sport: number, dport: number, payload = 0): number[] {
  const ports = [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff];
  const body = new Array<number>(payload).fill(0xaa);
  if (proto === TCP) return [...ports, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0, ...body];
  if (proto === UDP) {
    const len = 8 + payload;
    return [...ports, len >> 8, len & 0xff, 0, 0, ...body];
  }
  return [8, 0, 0, 0, 0, 1, 0, 1, ...body]; // ICMP echo request
}

/** 8-byte UDP header carrying `payload`. */
export function udpWith(sport: number, dport: number, payload: number[]): number[] {
  const len = 8 + payload.length;
  return [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0, ...payload];
}

export interface Ipv4Opts {
  src: string;
  dst: string;
  proto: number;
  payload: number[];
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  moreFragments?: boolean;
}

export function ipv4(o: Ipv4Opts): number[] {
  const total = 20 + o.payload.length;
  const frag = ((o.moreFragments ? 0x2000 : 0) | ((o.fragOffset ?? 0) / 8)) & 0xffff;
  const header = [0x45, 0, total >> 8, total & 0xff, 0x12, 0x34, frag >> 8, frag & 0xff, 64, o.proto, 0, 0];
  const full = [...header, ...ipv4Bytes(o.src), ...ipv4Bytes(o.dst)];
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (full[i] << 8) | full[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  full[10] = (~sum >> 8) & 0xff;
  full[11] = ~sum & 0xff;
  return [...full, ...o.payload];
}

export function ipv6(src: string, dst: string, next: number, payload: number[]): number[] {
  const len = payload.length;
  return [0x60, 0, 0, 0, len >> 8, len & 0xff, next, 64, ...ipv6Bytes(src), ...ipv6Bytes(dst), ...payload];
}

/** IPv6 fragment header (RFC 8200 §4.5): offset in bytes (multiple of 8). */
export function ipv6Fragment(next: number, offset: number, more: boolean, payload: number[]): number[] {
  const word = offset | (more ? 1 : 0);
  return [next, 0, word >> 8, word & 0xff, 0, 0, 0, 42, ...payload];
}

/** IPv6 hop-by-hop options header of 8 bytes (PadN). */
export function ipv6HopByHop(next: number, payload: number[]): number[] {
  return [next, 0, 1, 4, 0, 0, 0, 0, ...payload];
}

export const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
export const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

export function ethernet(etherType: number, payload: number[], src = MAC_A, dst = MAC_B): Uint8Array {
  return Uint8Array.from([...dst, ...src, etherType >> 8, etherType & 0xff, ...payload]);
}

export const eth4 = (o: Ipv4Opts) => ethernet(0x0800, ipv4(o));
export const eth6 = (src: string, dst: string, next: number, payload: number[]) =>
  ethernet(0x86dd, ipv6(src, dst, next, payload));

let nextRuleId = 1;

export function rule(
  priority: number,
  policy: MirrorRule['policy'],
  protocol: MirrorRule['protocol'],
  sourceCidr: string,
  destinationCidr: string,
  ports: { src?: PortRange; dst?: PortRange } = {},
  direction: MirrorRule['direction'] = 'outbound',
): MirrorRule {
  return {
    id: nextRuleId++,
    filterId: 0,
    direction,
    priority,
    protocol,
    sourceCidr,
    destinationCidr,
    sourcePorts: ports.src ?? null,
    destinationPorts: ports.dst ?? null,
    policy,
  };
}

export function filter(id: number, rules: MirrorRule[]): MirrorFilter {
  const own = rules.map((r) => ({ ...r, filterId: id }));
  return {
    id,
    name: `filter-${id}`,
    description: '',
    tags: [],
    inbound: own.filter((r) => r.direction === 'inbound'),
    outbound: own.filter((r) => r.direction === 'outbound'),
    createdAt: '2026-01-01T00:00:00Z',
  };
}

export function session(
  id: number,
  priority: number,
  filterId: number,
  extra: Partial<MirrorSession> = {},
): MirrorSession {
  return {
    id,
    name: `session-${id}`,
    description: '',
    tags: [],
    vni: id,
    priority,
    packetLength: 1500,
    filterId,
    sources: [{ kind: 'interface', interface: 'eth0' }],
    destination: { kind: 'endpoint', endpoint: { host: '127.0.0.1', port: 4789 } },
    state: 'Running',
    createdAt: '2026-01-01T00:00:00Z',
    ...extra,
  };
}
