/**
 * Mirror sessions as clients write them turned into what is stored: VNI, priority, mirrored
 * packet length, sources (`interface:NAME`, `netns:NAME`, `netns:NAME/IFACE`) and the
 * destination (one `HOST[:PORT]` or a load-balanced group of 2..16), each checked against
 * the model's limits. Checks that need the stored state (uniqueness, the filter existing)
 * and the host (source addresses) are made by MirrorConfig.
 */
import { formatIp, parseIp } from '../resolve/address.js';
import { UsageError } from '../util/errors.js';
import { formatEndpoint, parseEndpoint } from './cidr.js';
import {
  MIRROR_LIMITS as L,
  type MirrorDestination,
  type MirrorEndpoint,
  type MirrorSession,
  type MirrorSource,
} from './types.js';
import {
  MIRROR_CODES as C,
  requestObject,
  validDescription,
  validInt,
  validName,
  validTags,
} from './validate.js';

/** A session as a client sends it. */
export interface SessionRequest {
  name?: unknown;
  description?: unknown;
  tags?: unknown;
  vni?: unknown;
  priority?: unknown;
  packetLength?: unknown;
  filterId?: unknown;
  sources?: unknown;
  destination?: unknown;
}

/** A validated session before it is stored: `vni` null means "allocate one". */
export type SessionSpec = Omit<MirrorSession, 'id' | 'state' | 'createdAt' | 'vni'> & { vni: number | null };

/** What a modify may change; sources change through add-source and remove-source. */
export const SESSION_PATCH_FIELDS = [
  'name',
  'description',
  'tags',
  'vni',
  'priority',
  'packetLength',
  'filterId',
  'destination',
] as const;
const SESSION_FIELDS = [...SESSION_PATCH_FIELDS, 'sources'] as const;

/** Checks a new session; it needs at least one source. */
export function validateSession(body: unknown): SessionSpec {
  const req = requestObject(body, SESSION_FIELDS, 'a session') as SessionRequest;
  if (!Array.isArray(req.sources) || req.sources.length === 0) {
    throw new UsageError(
      C.MIRROR_BAD_SOURCE,
      'a session needs at least one source (interface:NAME, netns:NAME or netns:NAME/IFACE)',
    );
  }
  return {
    name: validName(req.name),
    description: validDescription(req.description),
    tags: validTags(req.tags),
    vni: req.vni === undefined || req.vni === null ? null : validVni(req.vni),
    priority: validSessionPriority(req.priority),
    packetLength:
      req.packetLength === undefined ? L.defaultPacketLength : validPacketLength(req.packetLength),
    filterId: validFilterId(req.filterId),
    sources: validSources(req.sources),
    destination: validDestination(req.destination),
  };
}

/** A modified session: the stored one with the patch's fields over it, validated as a whole. */
export function mergeSessionPatch(session: MirrorSession, patch: unknown): SessionSpec & { vni: number } {
  const p = requestObject(patch, SESSION_PATCH_FIELDS, 'a session change') as SessionRequest;
  const has = (k: keyof SessionRequest) => p[k] !== undefined;
  return {
    name: has('name') ? validName(p.name) : session.name,
    description: has('description') ? validDescription(p.description) : session.description,
    tags: has('tags') ? validTags(p.tags) : session.tags,
    vni: has('vni') ? validVni(p.vni) : session.vni,
    priority: has('priority') ? validSessionPriority(p.priority) : session.priority,
    packetLength: has('packetLength') ? validPacketLength(p.packetLength) : session.packetLength,
    filterId: has('filterId') ? validFilterId(p.filterId) : session.filterId,
    sources: session.sources,
    destination: has('destination') ? validDestination(p.destination) : session.destination,
  };
}

export function validVni(value: unknown): number {
  return validInt(value, 0, L.maxVni, 'vni', C.MIRROR_BAD_VNI);
}

function validSessionPriority(value: unknown): number {
  return validInt(
    value,
    L.minSessionPriority,
    L.maxSessionPriority,
    'session priority',
    C.MIRROR_BAD_SESSION_PRIORITY,
  );
}

function validPacketLength(value: unknown): number {
  return validInt(value, L.minPacketLength, L.maxPacketLength, 'packetLength', C.MIRROR_BAD_PACKET_LENGTH);
}

function validFilterId(value: unknown): number {
  return validInt(value, 1, Number.MAX_SAFE_INTEGER, 'filterId', C.MIRROR_BAD_FILTER);
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** What Linux refuses in an interface name (dev_valid_name): `/`, `:` and white space; we add control characters. */
const BAD_IFNAME_CHAR = /[/:\s\p{Cc}]/u;
/** IFNAMSIZ is 16 bytes with the terminating NUL. */
const MAX_IFNAME_BYTES = 15;

function isInterfaceName(name: string): boolean {
  const bytes = Buffer.byteLength(name);
  return (
    bytes >= 1 && bytes <= MAX_IFNAME_BYTES && name !== '.' && name !== '..' && !BAD_IFNAME_CHAR.test(name)
  );
}

function badSource(value: unknown, why: string): UsageError {
  return new UsageError(
    C.MIRROR_BAD_SOURCE,
    `source ${JSON.stringify(value)}: ${why}; write interface:NAME, netns:NAME or netns:NAME/IFACE`,
  );
}

/** A source from its text form or the stored object form. */
export function parseSource(value: unknown): MirrorSource {
  if (typeof value === 'object' && value !== null) return parseSource(objectSourceText(value));
  if (typeof value !== 'string') throw badSource(value, 'not a string');
  const colon = value.indexOf(':');
  const kind = value.slice(0, colon);
  const rest = value.slice(colon + 1);
  if (colon > 0 && kind === 'interface') {
    if (!isInterfaceName(rest))
      throw badSource(value, 'an interface name is 1..15 bytes without /, : or spaces');
    return { kind: 'interface', interface: rest };
  }
  if (colon > 0 && kind === 'netns') {
    const slash = rest.indexOf('/');
    const netns = slash < 0 ? rest : rest.slice(0, slash);
    if (!NETNS_NAME.test(netns)) throw badSource(value, 'a namespace name is 1..64 of A-Z a-z 0-9 _ . -');
    if (slash < 0) return { kind: 'netns', netns };
    const iface = rest.slice(slash + 1);
    if (!isInterfaceName(iface))
      throw badSource(value, 'an interface name is 1..15 bytes without /, : or spaces');
    return { kind: 'netns', netns, interface: iface };
  }
  throw badSource(value, 'unknown kind');
}

/** The object form `{kind, interface?, netns?}` as text, or '' (rejected by the caller) when malformed. */
function objectSourceText(value: object): string {
  const v = value as Record<string, unknown>;
  const iface = v.interface;
  if (v.kind === 'interface' && typeof iface === 'string') return `interface:${iface}`;
  if (v.kind !== 'netns' || typeof v.netns !== 'string' || v.netns.includes('/')) return '';
  if (iface === undefined) return `netns:${v.netns}`;
  return typeof iface === 'string' ? `netns:${v.netns}/${iface}` : '';
}

/** `interface:eth0`, `netns:blue`, `netns:blue/veth1`: the text form, also the identity of a source. */
export function formatSource(s: MirrorSource): string {
  if (s.kind === 'interface') return `interface:${s.interface}`;
  return `netns:${s.netns}${s.interface === undefined ? '' : `/${s.interface}`}`;
}

/** Up to 16 sources, none twice (compared by their text form). */
export function validSources(list: readonly unknown[]): MirrorSource[] {
  if (list.length > L.maxSources) {
    throw new UsageError(
      C.MIRROR_TOO_MANY_SOURCES,
      `a session has at most ${L.maxSources} sources, not ${list.length}`,
    );
  }
  const sources = list.map(parseSource);
  const seen = new Set<string>();
  for (const s of sources) {
    const text = formatSource(s);
    if (seen.has(text)) throw new UsageError(C.MIRROR_DUPLICATE_SOURCE, `source ${text} is given twice`);
    seen.add(text);
  }
  return sources;
}

/**
 * One endpoint (`HOST[:PORT]`, `{host, port}` or a list of one), or a load-balanced group of 2..16
 * distinct endpoints (a list); the stored object forms are accepted too.
 */
export function validDestination(value: unknown): MirrorDestination {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (v.kind === 'endpoint') return { kind: 'endpoint', endpoint: parseEndpoint(v.endpoint) };
    if (v.kind === 'group' && Array.isArray(v.members)) return validGroup(v.members);
    if (v.kind === undefined) return { kind: 'endpoint', endpoint: parseEndpoint(v) };
  }
  if (Array.isArray(value) && value.length === 1) return validDestination(value[0]);
  if (Array.isArray(value)) return validGroup(value);
  if (typeof value === 'string') return { kind: 'endpoint', endpoint: parseEndpoint(value) };
  throw new UsageError(
    C.MIRROR_BAD_DESTINATION,
    'destination is required: "HOST[:PORT]" or a list of 2 to 16 of them (a load-balanced group)',
  );
}

function validGroup(list: readonly unknown[]): MirrorDestination {
  if (list.length < 2 || list.length > L.maxGroupMembers) {
    throw new UsageError(
      C.MIRROR_BAD_DESTINATION,
      `a destination group has 2 to ${L.maxGroupMembers} members, not ${list.length}`,
    );
  }
  const members = list.map(parseEndpoint);
  const seen = new Set<string>();
  for (const m of members) {
    const text = formatEndpoint(m);
    if (seen.has(text))
      throw new UsageError(C.MIRROR_DUPLICATE_DESTINATION, `destination ${text} is listed twice`);
    seen.add(text);
  }
  return { kind: 'group', members };
}

export function destinationEndpoints(d: MirrorDestination): MirrorEndpoint[] {
  return d.kind === 'endpoint' ? [d.endpoint] : d.members;
}

/** The addresses configured on a source (for the source-is-destination check). */
export type AddressLookup = (source: MirrorSource) => readonly string[] | Promise<readonly string[]>;

/**
 * A source cannot be a destination: no destination host may be an address of one of the
 * session's sources (mirroring a destination's traffic to itself would loop). `addresses`
 * holds each source's addresses, looked up beforehand.
 */
export function checkSourceNotDestination(
  destination: MirrorDestination,
  addresses: ReadonlyArray<{ source: MirrorSource; addresses: readonly string[] }>,
): void {
  const hosts = new Set(destinationEndpoints(destination).map((e) => e.host));
  for (const { source, addresses: list } of addresses) {
    for (const address of list) {
      const bytes = parseIp(address);
      if (bytes !== null && hosts.has(formatIp(bytes))) {
        throw new UsageError(
          C.MIRROR_SOURCE_IS_DESTINATION,
          `destination ${formatIp(bytes)} is an address of source ${formatSource(source)}; a source cannot be a destination`,
        );
      }
    }
  }
}
