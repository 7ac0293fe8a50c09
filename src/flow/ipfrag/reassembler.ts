import { UsageError } from '../../util/errors.js';
import { Datagram } from './datagram.js';
import { buildIpv4Packet, buildIpv6Packet, lastNextHeaderOffset, rewriteUnfragmentable } from './headers.js';
import { DatagramTable, hashIpv4, hashIpv6 } from './table.js';
import {
  DEFAULT_FRAGMENT_LIMITS,
  DropReason,
  OVERLAP_POLICIES,
  type DropCode,
  type FragmentLimits,
  type FragmentStats,
  type OverlapPolicy,
  type ReassemblyResult,
} from './types.js';

const IPV4_MIN_HEADER = 20;
const IPV4_MAX_HEADER = 60;
const IPV6_HEADER_LENGTH = 40;
/** Both the IPv4 Total Length and the IPv6 Payload Length are 16-bit fields. */
const MAX_LENGTH_FIELD = 65535;
/** Owners are stored in a Uint16Array (see Datagram). */
const MAX_FRAGMENTS_LIMIT = 65535;

const PENDING: ReassemblyResult = Object.freeze({ status: 'pending' });
/** One frozen result per code, so that dropping allocates nothing. */
const DROPPED = Object.freeze(
  Object.fromEntries(
    Object.values(DropReason).map((reason) => [reason, Object.freeze({ status: 'dropped', reason })]),
  ),
) as Readonly<Record<DropCode, ReassemblyResult>>;

/**
 * IPv4 and IPv6 fragment reassembly with bounded memory, packet-time timeouts and a target-based
 * overlap policy. Decoupled from the decoders: callers pass the header fields as primitives.
 * Inputs are only read during the call (they may be views into a reader's batch buffer);
 * whatever is kept is copied. See docs/ip-reassembly.md.
 */
export class FragmentReassembler {
  readonly limits: Readonly<FragmentLimits>;
  readonly policy: OverlapPolicy;
  readonly stats: FragmentStats = {
    fragments: 0,
    reassembled: 0,
    timedOut: 0,
    evicted: 0,
    overlaps: 0,
    duplicates: 0,
    tooBig: 0,
    invalid: 0,
  };
  private readonly table = new DatagramTable();

  constructor(limits: Partial<FragmentLimits> = {}, policy: OverlapPolicy = 'linux') {
    this.limits = Object.freeze(validateLimits({ ...DEFAULT_FRAGMENT_LIMITS, ...limits }));
    if (!OVERLAP_POLICIES.includes(policy)) {
      throw new UsageError('ipfrag.bad_policy', `unknown overlap policy ${String(policy)}`);
    }
    this.policy = policy;
  }

  /** Datagrams currently held. */
  get datagramsHeld(): number {
    return this.table.count;
  }

  /** Bytes currently charged against maxBytesTotal. */
  get bytesHeld(): number {
    return this.table.bytes;
  }

  addIpv4(
    header: Uint8Array,
    payload: Uint8Array,
    src: number,
    dst: number,
    id: number,
    protocol: number,
    fragOffsetBytes: number,
    moreFragments: boolean,
    tsUs: number,
  ): ReassemblyResult {
    this.stats.fragments++;
    this.expire(tsUs);
    const headerLength = header.length;
    if (headerLength < IPV4_MIN_HEADER || headerLength > IPV4_MAX_HEADER || (headerLength & 3) !== 0) {
      return this.rejectFragment(DropReason.BadHeader, null);
    }
    if (fragOffsetBytes === 0 && !moreFragments) {
      return this.atomic(buildIpv4Packet(header, payload, payload.length));
    }
    const hash = hashIpv4(src, dst, id, protocol);
    const existing = this.table.findIpv4(hash, src, dst, id, protocol);
    const problem = this.fragmentProblem(fragOffsetBytes, payload.length, moreFragments, headerLength);
    if (problem !== null) return this.rejectFragment(problem, existing);
    const datagram = existing ?? this.create(new Datagram(hash, tsUs, protocol, src, dst, null, null, id));
    return this.accept(datagram, fragOffsetBytes, payload, moreFragments, header, -1, 0);
  }

  addIpv6(
    unfragmentable: Uint8Array,
    payload: Uint8Array,
    src: Uint8Array,
    dst: Uint8Array,
    identification: number,
    nextHeader: number,
    fragOffsetBytes: number,
    moreFragments: boolean,
    tsUs: number,
  ): ReassemblyResult {
    this.stats.fragments++;
    this.expire(tsUs);
    const nextHeaderAt = lastNextHeaderOffset(unfragmentable);
    if (src.length !== 16 || dst.length !== 16 || (fragOffsetBytes === 0 && nextHeaderAt < 0)) {
      return this.rejectFragment(DropReason.BadHeader, null);
    }
    if (fragOffsetBytes === 0 && !moreFragments) {
      // RFC 6946: an atomic fragment is processed in isolation from any other fragments.
      const header = rewriteUnfragmentable(unfragmentable, nextHeaderAt, nextHeader);
      return this.atomic(buildIpv6Packet(header, payload, payload.length));
    }
    const hash = hashIpv6(src, dst, identification);
    const existing = this.table.findIpv6(hash, src, dst, identification);
    const fixedLength = Math.max(0, unfragmentable.length - IPV6_HEADER_LENGTH);
    const problem = this.fragmentProblem(fragOffsetBytes, payload.length, moreFragments, fixedLength);
    if (problem !== null) return this.rejectFragment(problem, existing);
    const datagram =
      existing ?? this.create(new Datagram(hash, tsUs, -1, 0, 0, src.slice(), dst.slice(), identification));
    return this.accept(
      datagram,
      fragOffsetBytes,
      payload,
      moreFragments,
      unfragmentable,
      nextHeaderAt,
      nextHeader,
    );
  }

  /** Drops datagrams whose first fragment is at least timeoutUs older than `nowUs`; returns how many. */
  expire(nowUs: number): number {
    let dropped = 0;
    for (
      let d = this.table.oldest;
      d !== null && nowUs - d.createdUs >= this.limits.timeoutUs;
      d = this.table.oldest
    ) {
      this.table.remove(d);
      dropped++;
    }
    this.stats.timedOut += dropped;
    return dropped;
  }

  /** Checks that need only the fragment itself. */
  private fragmentProblem(
    offset: number,
    length: number,
    more: boolean,
    fixedLength: number,
  ): DropCode | null {
    if (offset < 0 || (offset & 7) !== 0) return DropReason.BadOffset;
    if (more && length === 0) return DropReason.Empty;
    if (more && (length & 7) !== 0) return DropReason.BadLength;
    const end = offset + length;
    if (end > this.limits.maxDatagramBytes || fixedLength + end > MAX_LENGTH_FIELD) return DropReason.TooBig;
    return null;
  }

  /** A bad fragment is dropped alone, except an oversized one, which also ends its datagram. */
  private rejectFragment(reason: DropCode, existing: Datagram | null): ReassemblyResult {
    if (reason === DropReason.TooBig && existing !== null) this.table.remove(existing);
    return this.count(reason);
  }

  private create(datagram: Datagram): Datagram {
    while (this.table.count >= this.limits.maxDatagrams) this.evict(this.table.oldest!);
    this.table.insert(datagram);
    return datagram;
  }

  private accept(
    datagram: Datagram,
    offset: number,
    payload: Uint8Array,
    more: boolean,
    header: Uint8Array,
    nextHeaderAt: number,
    nextHeader: number,
  ): ReassemblyResult {
    const problem = this.datagramProblem(datagram, offset + payload.length, more);
    if (problem !== null) return this.kill(datagram, problem);
    if (!more) datagram.total = offset + payload.length;
    if (!this.makeRoom(datagram, offset + payload.length, offset === 0 ? header.length : 0)) {
      this.stats.evicted++;
      this.table.remove(datagram);
      return DROPPED[DropReason.MemoryLimit];
    }
    const outcome = datagram.place(offset, payload, this.policy);
    if (outcome === 'conflict') {
      this.stats.overlaps++;
      return this.kill(datagram, DropReason.OverlapConflict);
    }
    if (outcome === 'duplicate') this.stats.duplicates++;
    else if (outcome === 'overlapped') this.stats.overlaps++;
    if (datagram.wroteFirstBlock) this.takeHeader(datagram, header, nextHeaderAt, nextHeader);
    return datagram.isComplete() ? this.complete(datagram) : PENDING;
  }

  /** Checks against what the datagram already holds (RFC 791 / RFC 8200 length rules). */
  private datagramProblem(datagram: Datagram, end: number, more: boolean): DropCode | null {
    if (datagram.fragments >= this.limits.maxFragmentsPerDatagram) return DropReason.TooManyFragments;
    if (!more) {
      // A second last fragment must agree on the total, and nothing may lie beyond it.
      if (datagram.total >= 0 && end !== datagram.total) return DropReason.BadLength;
      if (end < datagram.maxEnd) return DropReason.BadLength;
    } else if (datagram.total >= 0 && end > datagram.total) {
      return DropReason.BadLength;
    }
    return null;
  }

  /** Grows the datagram's buffers for data up to `end`, evicting older datagrams if needed. */
  private makeRoom(datagram: Datagram, end: number, headerLength: number): boolean {
    const capacity = datagram.capacityFor(end, this.limits.maxDatagramBytes);
    const growth = datagram.projectedBytes(capacity, headerLength) - datagram.bytes;
    while (this.table.bytes + growth > this.limits.maxBytesTotal) {
      const victim = this.table.oldest === datagram ? datagram.newer : this.table.oldest;
      if (victim === null) return false;
      this.evict(victim);
    }
    const before = datagram.bytes;
    datagram.grow(capacity);
    this.table.bytes += datagram.bytes - before;
    return true;
  }

  private takeHeader(datagram: Datagram, header: Uint8Array, nextHeaderAt: number, nextHeader: number): void {
    const before = datagram.bytes;
    datagram.setHeader(
      nextHeaderAt < 0 ? header.slice() : rewriteUnfragmentable(header, nextHeaderAt, nextHeader),
    );
    this.table.bytes += datagram.bytes - before;
  }

  private complete(datagram: Datagram): ReassemblyResult {
    this.table.remove(datagram);
    this.stats.reassembled++;
    // A complete datagram covers offset 0, and whichever fragment owns it left its header.
    const header = datagram.header!;
    const packet =
      datagram.src6 === null
        ? buildIpv4Packet(header, datagram.data, datagram.total)
        : buildIpv6Packet(header, datagram.data, datagram.total);
    return { status: 'complete', packet, fragments: datagram.fragments };
  }

  private atomic(packet: Uint8Array): ReassemblyResult {
    this.stats.reassembled++;
    return { status: 'complete', packet, fragments: 1 };
  }

  private evict(victim: Datagram): void {
    this.table.remove(victim);
    this.stats.evicted++;
  }

  private kill(datagram: Datagram, reason: DropCode): ReassemblyResult {
    this.table.remove(datagram);
    return this.count(reason);
  }

  private count(reason: DropCode): ReassemblyResult {
    if (reason === DropReason.TooBig) this.stats.tooBig++;
    else this.stats.invalid++;
    return DROPPED[reason];
  }
}

function validateLimits(limits: FragmentLimits): FragmentLimits {
  const positive: (keyof FragmentLimits)[] = [
    'maxDatagrams',
    'maxBytesTotal',
    'maxDatagramBytes',
    'maxFragmentsPerDatagram',
    'timeoutUs',
  ];
  for (const key of positive) {
    if (!(limits[key] > 0)) throw new UsageError('ipfrag.bad_limits', `${key} must be a positive number`);
  }
  if (limits.maxDatagramBytes > MAX_LENGTH_FIELD) {
    throw new UsageError('ipfrag.bad_limits', `maxDatagramBytes must be at most ${MAX_LENGTH_FIELD}`);
  }
  if (limits.maxFragmentsPerDatagram > MAX_FRAGMENTS_LIMIT) {
    throw new UsageError(
      'ipfrag.bad_limits',
      `maxFragmentsPerDatagram must be at most ${MAX_FRAGMENTS_LIMIT}`,
    );
  }
  return limits;
}
