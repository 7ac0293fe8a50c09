import { formatIpv4At, formatIpv6 } from '../decode/format.js';
import type { EntryDraft, Endpoint } from '../dissect/entry.js';
import { DISSECTORS } from '../dissect/registry.js';
import { ProtocolSelector, type SelectorOwner } from '../dissect/selector.js';
import {
  DEFAULT_DISSECT_LIMITS,
  type Direction,
  type DissectLimits,
  type DissectorFactory,
  type StreamContext,
  type StreamDissector,
} from '../dissect/types.js';
import { FlowTable, type Flow, type FlowTableOptions } from '../flow/flow-table.js';
import {
  TcpReassembler,
  withReassemblyDefaults,
  type ReassemblyHooks,
  type ReassemblyLimits,
} from '../flow/tcp-reassembly.js';
import { StreamEventQueue, type EventChain } from './stream-events.js';

export type Transport = 'tcp' | 'udp' | 'sctp';

/**
 * Everything meshtap keeps for one L4 stream, and the stream's context for its dissector.
 * A capture can hold hundreds of thousands of flows at once, so a session holds only what
 * it must: being the context itself (methods, not closures over a context object), the
 * sink of its reassembler and of its datagrams (queued in the plane's one event queue), and
 * formatting its endpoints when asked (once per entry) instead of keeping two objects and
 * two strings per flow.
 */
export class FlowSession
  implements StreamContext, ReassemblyHooks, StreamDissector, EventChain, SelectorOwner
{
  tcp: TcpReassembler | null = null;
  /**
   * Who takes the stream's bytes: its ProtocolSelector until a dissector claims the stream,
   * then that dissector itself (the selector, done choosing, is let go: one object less a
   * flow, one call less an event).
   */
  dissector: StreamDissector;
  private selector: ProtocolSelector | null;
  private claimedBy: string | null = null;
  firstEvent = -1;
  lastEvent = -1;
  /** A datagram stream (no reassembler) ended: later datagrams are ignored. */
  private datagramsEnded = false;

  /** A session choosing its stream's dissector among `factories`. */
  constructor(
    readonly transport: Transport,
    private readonly flow: Flow<FlowSession>,
    private readonly plane: FlowPlane,
    factories: readonly DissectorFactory[],
  ) {
    this.selector = new ProtocolSelector(factories, this, this);
    this.dissector = this.selector;
  }

  /** Bytes for the dissector (from the reassembler), queued until the dissect node runs. */
  data(dir: Direction, bytes: Uint8Array, tsUs: number): void {
    this.plane.events.data(this, dir, bytes, tsUs);
  }

  gap(dir: Direction, length: number, tsUs: number): void {
    this.plane.events.gap(this, dir, length, tsUs);
  }

  end(tsUs: number): void {
    this.plane.events.end(this, tsUs);
  }

  /** The claiming dissector's name, 'unclaimed', or null while still deciding. */
  get protocol(): string | null {
    return this.claimedBy ?? this.selector?.protocol ?? null;
  }

  claimed(dissector: StreamDissector, protocol: string): void {
    this.dissector = dissector;
    this.claimedBy = protocol;
    this.selector = null;
  }

  /** Events queued for the dissector (trace lines). */
  get queuedEvents(): number {
    return this.plane.events.queued(this);
  }

  /** A UDP datagram or SCTP DATA chunk: one message, no reassembly. */
  datagram(dir: Direction, payload: Uint8Array, tsUs: number): void {
    if (!this.datagramsEnded) this.data(dir, payload, tsUs);
  }

  /** The flow ended: the reassembler flushes what it holds, then the stream's end is queued (once). */
  endStream(tsUs: number): void {
    if (this.tcp !== null) this.tcp.end(tsUs);
    else if (!this.datagramsEnded) {
      this.datagramsEnded = true;
      this.end(tsUs);
    }
  }

  get streamId(): number {
    return this.flow.id;
  }

  get client(): Endpoint {
    const { addrs, addrAt } = this.flow;
    return endpoint(addrs, addrAt, this.flow.addrLength, this.flow.clientPort);
  }

  get server(): Endpoint {
    const { addrs, addrAt, addrLength } = this.flow;
    return endpoint(addrs, addrAt + addrLength, addrLength, this.flow.serverPort);
  }

  get clientPort(): number {
    return this.flow.clientPort;
  }

  get serverPort(): number {
    return this.flow.serverPort;
  }

  get limits(): DissectLimits {
    return this.plane.limits;
  }

  emit(entry: EntryDraft): void {
    this.plane.entryDone(entry);
  }

  anomaly(name: string): void {
    this.plane.anomaly(name);
  }

  /** What the reassembler (out-of-order bytes) or the dissector keeps changed: the table keeps the total under its limit. */
  hold(delta: number): void {
    this.plane.table.chargeBuffer(this.flow, delta);
  }
}

export interface FlowPlaneOptions {
  table?: Partial<FlowTableOptions>;
  reassembly?: Partial<ReassemblyLimits>;
  limits?: DissectLimits;
  dissectors?: readonly DissectorFactory[];
  /** Where finished exchanges go. */
  onEntry(entry: EntryDraft): void;
}

/**
 * The state shared by the flow nodes (flow-lookup, tcp-reassembly, datagram-input,
 * dissect): the flow table, each flow's reassembler and dissector, and the anomaly
 * counters. Flows that end outside their own packets (idle timeout, eviction, end of input)
 * are remembered so the dissect node flushes them too.
 */
export class FlowPlane {
  readonly table: FlowTable<FlowSession>;
  /** What the sessions' reassemblers and datagrams produced, waiting for the dissect node. */
  readonly events = new StreamEventQueue<FlowSession>();
  readonly anomalies = new Map<string, number>();
  readonly protocols = new Map<string, number>();
  /**
   * Flows the table ended (FIN linger over, idle, evicted) during this vector. Their
   * reassemblers are ended only when the dissect node flushes them: flow-lookup may end a
   * flow while segments it looked up earlier in the same vector still wait for tcp-reassembly.
   */
  private readonly ended: Array<{ session: FlowSession; tsUs: number }> = [];
  /** How many of `ended` were flushed already (see finishInSteps). */
  private endedFlushed = 0;
  readonly limits: DissectLimits;
  private readonly reassemblyLimits: ReassemblyLimits;
  /** Entries emitted since the dissect node last cleared it (for its trace lines). */
  readonly emitted: EntryDraft[] = [];
  entries = 0;

  constructor(private readonly options: FlowPlaneOptions) {
    this.limits = options.limits ?? DEFAULT_DISSECT_LIMITS;
    this.reassemblyLimits = withReassemblyDefaults(options.reassembly ?? {});
    this.table = new FlowTable<FlowSession>(options.table, (flow, _reason, tsUs) => {
      if (flow.value) this.ended.push({ session: flow.value, tsUs });
    });
  }

  /** Creates the session of a new flow: its reassembler (TCP) or datagram stream, and its dissector. */
  open(flow: Flow<FlowSession>, transport: Transport): FlowSession {
    const session = new FlowSession(transport, flow, this, this.options.dissectors ?? DISSECTORS);
    if (transport === 'tcp') session.tcp = new TcpReassembler(session, this.reassemblyLimits, session);
    flow.value = session;
    return session;
  }

  /** Feeds a session's queued stream events to its dissector. */
  dissect(session: FlowSession): number {
    if (session.firstEvent < 0) return 0;
    return this.events.drainInto(session, session.dissector);
  }

  /**
   * Replays what the vector left queued for streams the dissect node did not reach (none
   * when every packet got there): a stream's events left behind would keep the shared queue
   * from starting over, and it would grow with every vector.
   */
  dissectLeftovers(): void {
    for (const session of this.events.waitingChains()) this.dissect(session);
  }

  /** End of input: every flow ends and is flushed. */
  finish(): void {
    this.table.endAll();
    this.flushEnded();
  }

  /**
   * End of input, with the output given its turn: `between` runs after each flow is flushed
   * (a writer waiting for its output to drain), so the entries of the flows still open at the
   * end (up to the whole flow budget, each with bodies up to maxBodyBytes) never wait in the
   * output all at once.
   */
  async finishInSteps(between: () => Promise<void>): Promise<void> {
    this.table.endAll();
    while (this.ended.length > 0) {
      this.flushEnded(1);
      await between();
    }
  }

  /** Ends the reassemblers of the flows that ended (at most `max` of them) and lets their dissectors flush. */
  flushEnded(max = Infinity): void {
    const stop = Math.min(this.ended.length, this.endedFlushed + max);
    for (; this.endedFlushed < stop; this.endedFlushed++) {
      const { session, tsUs } = this.ended[this.endedFlushed];
      session.endStream(tsUs);
      this.dissect(session);
      const { protocol } = session;
      if (protocol !== null) this.count(this.protocols, protocol);
    }
    if (this.endedFlushed === this.ended.length) {
      this.ended.length = 0;
      this.endedFlushed = 0;
    }
  }

  /** A session's dissector finished an exchange. */
  entryDone(entry: EntryDraft): void {
    this.entries++;
    this.emitted.push(entry);
    this.options.onEntry(entry);
  }

  /** The flow table's counters for --stats: how flows ended, and what the limits cost. */
  flowCounters(): Map<string, number> {
    const { stats } = this.table;
    return new Map([
      ['created', stats.created],
      ...Object.entries(stats.ended).map(([reason, n]): [string, number] => [`ended ${reason}`, n]),
      ['evicted for the flow limits (maxFlows, maxFlowBytes)', stats.evictedForFlows],
      ['evicted for kept bytes (maxBufferedBytes)', stats.evictedForMemory],
      ['peak kept bytes', stats.peakBufferedBytes],
    ]);
  }

  /** Counts an oddity a reassembler or dissector reported. */
  anomaly(name: string): void {
    this.count(this.anomalies, name);
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

/** The address (`length` bytes at `at` in the flow's slab, read in place) and port. */
function endpoint(addrs: Uint8Array, at: number, length: number, port: number): Endpoint {
  return { ip: length === 4 ? formatIpv4At(addrs, at) : formatIpv6(addrs, at), port };
}
