/**
 * The traffic mirroring model, in the manner of a cloud VPC's traffic mirroring: filters
 * made of inbound and outbound rules, and sessions that mirror the traffic of their sources
 * which their filter collects to one destination, VXLAN-encapsulated.
 */

export type RuleProtocol = 'ALL' | 'ICMP' | 'TCP' | 'UDP';
export type RulePolicy = 'Collect' | 'DoNotCollect';
/** Inbound: packets the source receives; outbound: packets the source sends. */
export type RuleDirection = 'inbound' | 'outbound';

/** A port range as written `1/200`, `80/80`; null is `-1/-1` (any port). */
export interface PortRange {
  from: number;
  to: number;
}

export interface Tag {
  key: string;
  value: string;
}

export interface MirrorRule {
  id: number;
  filterId: number;
  direction: RuleDirection;
  /** 1..16777216, unique within its filter and direction; the smallest value is evaluated first. */
  priority: number;
  protocol: RuleProtocol;
  /** CIDR blocks as normalised text (`10.0.0.0/8`, `fd00::/8`); `0.0.0.0/0` or `::/0` match any address of that family. */
  sourceCidr: string;
  destinationCidr: string;
  sourcePorts: PortRange | null;
  destinationPorts: PortRange | null;
  policy: RulePolicy;
}

export interface MirrorFilter {
  id: number;
  name: string;
  description: string;
  tags: Tag[];
  inbound: MirrorRule[];
  outbound: MirrorRule[];
  createdAt: string;
}

/**
 * What a session mirrors: a network interface of this host, or a network namespace (the
 * stand-in for a pod here) with the interface inside it (the namespace's first non-loopback
 * interface when not given).
 */
export type MirrorSource =
  { kind: 'interface'; interface: string } | { kind: 'netns'; netns: string; interface?: string };

/** One place mirrored packets go: a host address (IPv4 or IPv6) and a UDP port (4789 by default). */
export interface MirrorEndpoint {
  host: string;
  port: number;
}

/** One destination, or a load-balanced group whose members each get whole flows (by 5-tuple hash). */
export type MirrorDestination =
  { kind: 'endpoint'; endpoint: MirrorEndpoint } | { kind: 'group'; members: MirrorEndpoint[] };

export type SessionState = 'Stopped' | 'Running';

export interface MirrorSession {
  id: number;
  name: string;
  description: string;
  tags: Tag[];
  /** 0..16777215. */
  vni: number;
  /** 1..32766, unique; a packet goes to the matching session with the smallest value only. */
  priority: number;
  /** 64..8500 bytes of the original frame kept (default 1500). */
  packetLength: number;
  filterId: number;
  sources: MirrorSource[];
  destination: MirrorDestination;
  /** Sessions are created Stopped; start and stop change this. */
  state: SessionState;
  createdAt: string;
}

/** Per-session data-path counters. */
export interface MirrorCounters {
  /** Packets of the session's sources its filter collected (and no session of smaller priority took). */
  matched: number;
  /** Packets handed to the UDP socket. */
  mirrored: number;
  /** Mirrored packets cut to the session's packet length. */
  truncated: number;
  /** UDP payload bytes (VXLAN header + inner frame) handed to the socket. */
  sentBytes: number;
  /** Sends that failed (socket errors) or were dropped because the send queue was full. */
  sendErrors: number;
}

export const MIRROR_LIMITS = {
  maxRulesPerFilter: 10,
  minRulePriority: 1,
  maxRulePriority: 16_777_216,
  maxVni: 16_777_215,
  minSessionPriority: 1,
  maxSessionPriority: 32_766,
  minPacketLength: 64,
  maxPacketLength: 8500,
  defaultPacketLength: 1500,
  maxNameLength: 128,
  maxDescriptionLength: 256,
  maxTags: 20,
  maxTagKeyLength: 128,
  maxTagValueLength: 128,
  maxSources: 16,
  maxGroupMembers: 16,
  defaultVxlanPort: 4789,
} as const;
