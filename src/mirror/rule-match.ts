import { MeshtapError } from '../util/errors.js';
import type { MirrorFilter, MirrorRule, PortRange, RuleDirection } from './types.js';
import type { PacketKey } from './packet-key.js';

/**
 * Mirror filter rules compiled once (when sessions are set) into plain numeric fields, so
 * matching a packet is a handful of integer comparisons: no strings, no regex, no
 * allocation per packet. Semantics follow the seed's traffic mirroring: per direction, rules
 * by priority (smallest first), the first rule that matches decides (Collect or
 * DoNotCollect); no match, or no rules, collects nothing.
 */

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const PROTOCOL_NUMBERS = { ALL: -1, ICMP: IPPROTO_ICMP, TCP: 6, UDP: 17 } as const;

/** A CIDR block compiled for matching one address family. */
export class CidrMatcher {
  readonly family: 4 | 6;
  /** IPv4: network and mask as unsigned 32-bit numbers. */
  readonly net4: number;
  readonly mask4: number;
  /** IPv6: the 16 network bytes and the prefix length. */
  readonly net6: Uint8Array;
  readonly prefix: number;
  private readonly fullBytes: number;
  private readonly lastMask: number;

  constructor(readonly text: string) {
    const slash = text.indexOf('/');
    const prefix = slash < 0 ? NaN : Number(text.slice(slash + 1));
    const address = slash < 0 ? text : text.slice(0, slash);
    const v4 = parseIpv4(address);
    const bytes = v4 === null ? parseIpv6(address) : null;
    const maxPrefix = v4 !== null ? 32 : 128;
    if ((v4 === null && bytes === null) || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
      throw new MeshtapError('MIRROR_BAD_CIDR', `not a CIDR block: ${JSON.stringify(text)}`);
    }
    this.family = v4 !== null ? 4 : 6;
    this.prefix = prefix;
    this.mask4 = v4 !== null && prefix > 0 ? (0xffffffff << (32 - prefix)) >>> 0 : 0;
    this.net4 = v4 !== null ? (v4 & this.mask4) >>> 0 : 0;
    this.net6 = bytes ?? new Uint8Array(16);
    this.fullBytes = prefix >>> 3;
    this.lastMask = (0xff00 >>> (prefix & 7)) & 0xff;
  }

  matches4(addr: number): boolean {
    return this.family === 4 && (addr & this.mask4) >>> 0 === this.net4;
  }

  matches6(data: Uint8Array, offset: number): boolean {
    if (this.family !== 6) return false;
    const net = this.net6;
    const full = this.fullBytes;
    for (let i = 0; i < full; i++) if (data[offset + i] !== net[i]) return false;
    const mask = this.lastMask;
    return mask === 0 || (data[offset + full] & mask) === (net[full] & mask);
  }
}

/** `a.b.c.d` as an unsigned 32-bit number, or null. */
function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value >>> 0;
}

/** RFC 4291 text (with `::` and an optional dotted-quad tail) as 16 bytes, or null. */
function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >>> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

function groupsOf(text: string): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const v4 = i === parts.length - 1 && parts[i].includes('.') ? parseIpv4(parts[i]) : null;
    if (v4 !== null) groups.push(v4 >>> 16, v4 & 0xffff);
    else if (/^[0-9a-fA-F]{1,4}$/.test(parts[i])) groups.push(parseInt(parts[i], 16));
    else return null;
  }
  return groups;
}

/** One rule with its fields turned into numbers; `matches` is the per-packet test. */
export class CompiledRule {
  readonly id: number;
  readonly priority: number;
  readonly collect: boolean;
  /** -1 for ALL, else the IP protocol (ICMP also matches ICMPv6). */
  readonly protocol: number;
  readonly source: CidrMatcher;
  readonly destination: CidrMatcher;
  /** Port bounds; an any-port range is [-1, 65535] so it also matches unknown ports (-1). */
  readonly srcFrom: number;
  readonly srcTo: number;
  readonly dstFrom: number;
  readonly dstTo: number;

  constructor(readonly rule: MirrorRule) {
    this.id = rule.id;
    this.priority = rule.priority;
    this.collect = rule.policy === 'Collect';
    this.protocol = PROTOCOL_NUMBERS[rule.protocol];
    this.source = new CidrMatcher(rule.sourceCidr);
    this.destination = new CidrMatcher(rule.destinationCidr);
    // ALL and ICMP have no ports: their ranges are forced to any, whatever was stored.
    const portless = this.protocol === -1 || this.protocol === IPPROTO_ICMP;
    [this.srcFrom, this.srcTo] = bounds(portless ? null : rule.sourcePorts);
    [this.dstFrom, this.dstTo] = bounds(portless ? null : rule.destinationPorts);
  }

  matches(key: PacketKey): boolean {
    const p = this.protocol;
    if (p !== -1 && key.proto !== p && !(p === IPPROTO_ICMP && key.proto === IPPROTO_ICMPV6)) return false;
    if (key.family === 4) {
      if (!this.source.matches4(key.src4) || !this.destination.matches4(key.dst4)) return false;
    } else if (
      !this.source.matches6(key.data, key.src6Offset) ||
      !this.destination.matches6(key.data, key.dst6Offset)
    ) {
      return false;
    }
    return (
      key.srcPort >= this.srcFrom &&
      key.srcPort <= this.srcTo &&
      key.dstPort >= this.dstFrom &&
      key.dstPort <= this.dstTo
    );
  }

  describe(): string {
    return `rule ${this.id} (priority ${this.priority}) ${this.collect ? 'Collect' : 'DoNotCollect'}`;
  }
}

function bounds(range: PortRange | null): [number, number] {
  return range === null ? [-1, 65535] : [range.from, range.to];
}

/** A filter's rules per direction, each list sorted by rule priority. */
export class CompiledFilter {
  readonly inbound: readonly CompiledRule[];
  readonly outbound: readonly CompiledRule[];

  constructor(readonly filter: MirrorFilter) {
    this.inbound = compileRules(filter.inbound);
    this.outbound = compileRules(filter.outbound);
  }

  rules(direction: RuleDirection): readonly CompiledRule[] {
    return direction === 'outbound' ? this.outbound : this.inbound;
  }

  /** The rule that decides for this packet (first match by priority), or null when none matches. */
  decide(key: PacketKey, direction: RuleDirection): CompiledRule | null {
    const rules = direction === 'outbound' ? this.outbound : this.inbound;
    for (let i = 0; i < rules.length; i++) if (rules[i].matches(key)) return rules[i];
    return null;
  }
}

function compileRules(rules: readonly MirrorRule[]): CompiledRule[] {
  return rules.map((r) => new CompiledRule(r)).sort((a, b) => a.priority - b.priority);
}

/** What the session classifier needs of a session. */
export interface ClassifiableSession {
  readonly priority: number;
  readonly id: number;
  readonly filter: CompiledFilter;
}

/**
 * The sessions of one source, by session priority: a packet goes to the first session whose
 * filter collects it. A DoNotCollect decision only excludes the packet from that session;
 * the next session by priority is tried.
 */
export class SessionClassifier<S extends ClassifiableSession> {
  private sessions: readonly S[] = [];
  /** The rule that collected the packet of the last successful classify(). */
  decidingRule: CompiledRule | null = null;

  get active(): readonly S[] {
    return this.sessions;
  }

  /** Replaces the sessions (between vectors), keeping them sorted by priority, then id. */
  setSessions(sessions: readonly S[]): void {
    this.sessions = [...sessions].sort((a, b) => a.priority - b.priority || a.id - b.id);
  }

  classify(key: PacketKey, direction: RuleDirection): S | null {
    const sessions = this.sessions;
    for (let i = 0; i < sessions.length; i++) {
      const rule = sessions[i].filter.decide(key, direction);
      if (rule !== null && rule.collect) {
        this.decidingRule = rule;
        return sessions[i];
      }
    }
    this.decidingRule = null;
    return null;
  }

  /** One line per session tried, for traced packets: which rule decided, or that none matched. */
  explain(key: PacketKey, direction: RuleDirection): string[] {
    const lines: string[] = [];
    for (const session of this.sessions) {
      const rule = session.filter.decide(key, direction);
      const verdict = rule === null ? `no ${direction} rule matched` : rule.describe();
      lines.push(`session ${session.id} (priority ${session.priority}): ${verdict}`);
      if (rule !== null && rule.collect) break;
    }
    return lines;
  }
}
