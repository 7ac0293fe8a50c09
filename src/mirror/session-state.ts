import { MeshtapError } from '../util/errors.js';
import { CompiledFilter, type ClassifiableSession, type CompiledRule } from './rule-match.js';
import type { MirrorCounters, MirrorFilter, MirrorSession, RuleDirection } from './types.js';
import { resolveEndpoint, type ResolvedEndpoint } from './udp-sender.js';

export function emptyCounters(): MirrorCounters {
  return { matched: 0, mirrored: 0, truncated: 0, sentBytes: 0, sendErrors: 0 };
}

/**
 * A session as the data path holds it while it runs: its filter compiled, its destination
 * resolved, its counters, and one send callback (made once, not per packet) that counts
 * the errors the socket reports.
 */
export class ActiveSession implements ClassifiableSession {
  readonly id: number;
  readonly priority: number;
  readonly vni: number;
  readonly packetLength: number;
  readonly filter: CompiledFilter;
  readonly endpoints: readonly ResolvedEndpoint[];
  readonly onSent: (err: Error | null) => void;

  constructor(
    readonly session: MirrorSession,
    filter: MirrorFilter,
    readonly counters: MirrorCounters,
  ) {
    if (filter.id !== session.filterId) {
      throw new MeshtapError(
        'MIRROR_FILTER_MISMATCH',
        `session ${session.id} uses filter ${session.filterId}, was given filter ${filter.id}`,
      );
    }
    this.id = session.id;
    this.priority = session.priority;
    this.vni = session.vni;
    this.packetLength = session.packetLength;
    this.filter = new CompiledFilter(filter);
    const { destination } = session;
    const members = destination.kind === 'endpoint' ? [destination.endpoint] : destination.members;
    if (members.length === 0) {
      throw new MeshtapError('MIRROR_NO_DESTINATION', `session ${session.id} has no destination`);
    }
    this.endpoints = members.map(resolveEndpoint);
    this.onSent = (err) => {
      if (err !== null && err !== undefined) counters.sendErrors++;
    };
  }

  /**
   * The group member a flow goes to. The hash is symmetric, so both directions of a flow
   * reach the same member; its upper bits are used because the lower ones pick the source
   * port, and reusing them would tie members to source ports.
   */
  endpointFor(hash: number): ResolvedEndpoint {
    const endpoints = this.endpoints;
    return endpoints.length === 1 ? endpoints[0] : endpoints[(hash >>> 16) % endpoints.length];
  }
}

/**
 * What the mirror nodes know about one packet on its way (the packet's opaque field): the
 * session and rule that collected it, its flow hash, then the datagram being built.
 */
export class MirrorMark {
  /** VXLAN header room (8 bytes) followed by the kept part of the Ethernet frame. */
  datagram: Uint8Array | null = null;
  /** Length of the whole Ethernet frame before truncation. */
  frameLength = 0;
  endpoint: ResolvedEndpoint | null = null;
  /** A SEND_* outcome once udp-output has run, -1 before. */
  outcome = -1;

  constructor(
    readonly session: ActiveSession,
    readonly rule: CompiledRule,
    readonly direction: RuleDirection,
    readonly hash: number,
  ) {}

  get truncated(): boolean {
    return this.datagram !== null && this.frameLength > this.session.packetLength;
  }
}

export function markOf(pkt: { opaque: unknown }): MirrorMark | null {
  return pkt.opaque instanceof MirrorMark ? pkt.opaque : null;
}
