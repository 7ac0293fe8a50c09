import { Flow, IPPROTO_TCP, type FlowEndReason, type FlowState } from './flow.js';
import { FlowList } from './flow-list.js';
import { PacketClock } from './packet-clock.js';
import { flowHashAt, guessServerSide, sameAddrAt, type AddressKey } from './flow-key.js';
import { AddressSlab } from './address-slab.js';
import { FlowBuckets } from './flow-buckets.js';

export { Flow, IPPROTO_TCP, IPPROTO_UDP, type FlowEndReason, type FlowState } from './flow.js';

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

export interface FlowTableOptions {
  /** Most flows held at once; creating one more ends the least recently active ('evicted'). */
  maxFlows: number;
  /**
   * Most memory the flows' own state may take, by estimate (tcpFlowBytes or datagramFlowBytes
   * per flow); a flow more ends the least recently active ones, as maxFlows does. It bounds
   * what a count cannot: a TCP flow with its reassembler and dissector costs four times a
   * UDP one.
   */
  maxFlowBytes: number;
  /** Estimated state of one TCP flow (heap snapshots: ~2.8 KB for HTTP/1.1 with a pending request). */
  tcpFlowBytes: number;
  /** Estimated state of one UDP or other datagram flow (heap snapshots: ~0.65 KB for DNS). */
  datagramFlowBytes: number;
  /**
   * Most bytes all flows keep together (see chargeBuffer): their reassemblers' out-of-order
   * segments and what their dissectors hold (partial messages, bodies, header blocks,
   * requests waiting for answers, HPACK tables).
   */
  maxBufferedBytes: number;
  /** Idle time of an open TCP flow before it ends ('idle'). */
  tcpEstablishedTimeoutUs: number;
  /** Idle time of a TCP flow after the first FIN. */
  tcpClosingTimeoutUs: number;
  /** How long a closed flow (both FINs, or a RST) still takes late retransmissions. */
  closedLingerUs: number;
  /** Idle time of UDP (and any other non-TCP) flows. */
  udpTimeoutUs: number;
  /** A packet time further ahead than this is only believed once a second packet confirms it (see PacketClock). */
  maxClockJumpUs: number;
}

/** Called once per flow when it ends. It must not call lookup() (the table is mid-update). */
export type FlowEndHook<T> = (flow: Flow<T>, reason: FlowEndReason, tsUs: number) => void;

export const DEFAULT_FLOW_TABLE_OPTIONS: FlowTableOptions = {
  maxFlows: 1 << 18,
  maxFlowBytes: 96 << 20,
  tcpFlowBytes: 3 << 10,
  datagramFlowBytes: 768,
  maxBufferedBytes: 64 << 20,
  tcpEstablishedTimeoutUs: 300e6,
  tcpClosingTimeoutUs: 30e6,
  closedLingerUs: 2e6,
  udpTimeoutUs: 60e6,
  maxClockJumpUs: 3600e6,
};

export interface FlowTableStats {
  created: number;
  ended: Record<FlowEndReason, number>;
  /** Flows ended early because maxFlows or maxFlowBytes was reached. */
  evictedForFlows: number;
  /** Flows ended early because maxBufferedBytes was reached. */
  evictedForMemory: number;
  /** Largest total of buffered bytes seen. */
  peakBufferedBytes: number;
}

const NO_BYTES = new Uint8Array(0);

/** The answer of lookup(); one object reused by the table, valid until the next lookup. */
export interface FlowLookup<T> {
  flow: Flow<T>;
  /** 0: the packet goes client → server, 1: server → client. */
  dir: 0 | 1;
  created: boolean;
}

export class FlowTable<T> {
  readonly options: FlowTableOptions;
  readonly stats: FlowTableStats = {
    created: 0,
    ended: { fin: 0, rst: 0, idle: 0, evicted: 0, eof: 0 },
    evictedForFlows: 0,
    evictedForMemory: 0,
    peakBufferedBytes: 0,
  };
  private readonly buckets = new FlowBuckets<Flow<T>>();
  private readonly addresses = new AddressSlab();
  private readonly tcpOpen: FlowList<Flow<T>>;
  private readonly tcpClosing: FlowList<Flow<T>>;
  private readonly closed: FlowList<Flow<T>>;
  private readonly datagram: FlowList<Flow<T>>;
  private readonly lists: FlowList<Flow<T>>[];
  private readonly result: FlowLookup<T> = { flow: null as unknown as Flow<T>, dir: 0, created: false };
  /** The addresses of the packet being looked up; one object reused as `result` is. */
  private readonly key: AddressKey = { src: NO_BYTES, srcAt: 0, dst: NO_BYTES, dstAt: 0, length: 0 };
  private nextId = 0;
  private count = 0;
  private buffered = 0;
  /** The flows' state by estimate (see maxFlowBytes). */
  private stateBytes = 0;
  private readonly clock: PacketClock;
  /**
   * No flow ends idle before this table time: the earliest of the lists' head flows'
   * deadlines when last worked out, or earlier. A list is in order of activity (a flow moves
   * to its tail with the table's latest time), so its deadline only moves later as its head
   * goes, and only a list that was empty can bring an earlier one (see moveTo). advance()
   * looks at the lists only when the time reaches it: four heads a packet were ~2 % of an
   * entries run.
   */
  private nextExpiryUs = -Infinity;

  constructor(
    options: Partial<FlowTableOptions> = {},
    private readonly onEnd?: FlowEndHook<T>,
  ) {
    this.options = { ...DEFAULT_FLOW_TABLE_OPTIONS, ...options };
    this.clock = new PacketClock(this.options.maxClockJumpUs);
    this.tcpOpen = new FlowList(this.options.tcpEstablishedTimeoutUs);
    this.tcpClosing = new FlowList(this.options.tcpClosingTimeoutUs);
    this.closed = new FlowList(this.options.closedLingerUs);
    this.datagram = new FlowList(this.options.udpTimeoutUs);
    // The closed list comes first: when a flow must go, a lingering one is the cheapest loss.
    this.lists = [this.closed, this.tcpClosing, this.tcpOpen, this.datagram];
  }

  get size(): number {
    return this.count;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Table time (µs): packet time made of believable steps only (see PacketClock). Flow times use it. */
  get nowUs(): number {
    return this.clock.nowUs;
  }

  /** Absurd forward timestamp jumps the clock did not follow. */
  get ignoredClockJumps(): number {
    return this.clock.ignoredJumps;
  }

  /**
   * Finds or creates the flow of one packet. `tcpFlags` (the TCP header's flag byte) tells
   * the table about SYN (who initiated), FIN and RST; leave it -1 for non-TCP packets.
   */
  lookup(
    ipVersion: 4 | 6,
    srcAddr: Uint8Array,
    srcPort: number,
    dstAddr: Uint8Array,
    dstPort: number,
    proto: number,
    tsUs: number,
    tcpFlags = -1,
  ): FlowLookup<T> {
    return this.lookupAt(ipVersion, srcAddr, 0, srcPort, dstAddr, 0, dstPort, proto, tsUs, tcpFlags);
  }

  /**
   * lookup() with each address given as where it starts in a buffer (4 bytes for IPv4, 16 for
   * IPv6), so that a packet's addresses are read in place: two views per packet were a
   * noticeable part of the lookup.
   */
  lookupAt(
    ipVersion: 4 | 6,
    src: Uint8Array,
    srcAt: number,
    srcPort: number,
    dst: Uint8Array,
    dstAt: number,
    dstPort: number,
    proto: number,
    tsUs: number,
    tcpFlags = -1,
  ): FlowLookup<T> {
    this.advance(tsUs);
    if (this.buffered > this.options.maxBufferedBytes) this.evictForMemory();
    const key = this.key;
    key.src = src;
    key.srcAt = srcAt;
    key.dst = dst;
    key.dstAt = dstAt;
    key.length = ipVersion === 4 ? 4 : 16;
    const hash = flowHashAt(key, srcPort, dstPort, proto);
    const r = this.result;
    if (this.find(hash, key, srcPort, dstPort, proto)) {
      if (!(r.flow.state === 'closed' && isConnectionOpening(tcpFlags))) {
        r.created = false;
        this.touch(r.flow, r.dir, tcpFlags);
        return r;
      }
      // A new SYN on a closed connection: the 5-tuple is being reused by a new connection.
      this.end(r.flow, r.flow.closeReason ?? 'fin');
    }
    this.create(hash, ipVersion, key, srcPort, dstPort, proto, tcpFlags);
    return r;
  }

  /** Moves packet time forward (also without packets, e.g. from a live capture's clock) and ends idle flows. */
  advance(tsUs: number): void {
    this.clock.observe(tsUs);
    if (this.nowUs >= this.nextExpiryUs) this.endIdle();
  }

  /** Ends the flows whose idle time is up and works out the next deadline. */
  private endIdle(): void {
    let next = Infinity;
    for (const list of this.lists) {
      let head = list.head;
      while (head !== null && this.nowUs - head.lastTsUs >= list.timeoutUs) {
        this.end(head, list === this.closed ? (head.closeReason ?? 'fin') : 'idle');
        head = list.head;
      }
      if (head !== null) next = Math.min(next, head.lastTsUs + list.timeoutUs);
    }
    this.nextExpiryUs = next;
  }

  /**
   * The flow's reassembler or dissector reports how what it keeps changed. Over the global
   * limit, the next lookup ends the least recently active flows that keep anything.
   */
  chargeBuffer(flow: Flow<T>, delta: number): void {
    if (flow.ended) return;
    flow.bufferedBytes += delta;
    this.buffered += delta;
    if (this.buffered > this.stats.peakBufferedBytes) this.stats.peakBufferedBytes = this.buffered;
  }

  /** End of input: every flow ends ('eof'; closed flows keep their 'fin'/'rst'). */
  endAll(tsUs: number = this.clock.realUs): void {
    this.clock.observe(tsUs);
    for (const list of this.lists) {
      while (list.head !== null)
        this.end(list.head, list === this.closed ? (list.head.closeReason ?? 'fin') : 'eof');
    }
  }

  /** Every live flow, oldest activity first within each state (for inspection and tests). */
  *flows(): IterableIterator<Flow<T>> {
    for (const list of this.lists) {
      for (let f = list.head; f !== null; f = f.next) yield f;
    }
  }

  private find(hash: number, key: AddressKey, srcPort: number, dstPort: number, proto: number): boolean {
    // A chain holds the flows of every hash that shares its slot.
    for (let f = this.buckets.first(hash); f !== null; f = f.bucketNext) {
      if (f.hash !== hash || f.proto !== proto) continue;
      const dir = directionOf(f, key, srcPort, dstPort);
      if (dir !== -1) {
        this.result.flow = f;
        this.result.dir = dir;
        return true;
      }
    }
    return false;
  }

  private create(
    hash: number,
    ipVersion: 4 | 6,
    key: AddressKey,
    srcPort: number,
    dstPort: number,
    proto: number,
    tcpFlags: number,
  ): void {
    const cost = this.stateCost(proto);
    while (this.count >= this.options.maxFlows || this.stateBytes + cost > this.options.maxFlowBytes) {
      if (!this.evictOldest()) break;
    }
    const dir = initialDirection(proto, srcPort, dstPort, tcpFlags);
    const { src, srcAt, dst, dstAt, length } = key;
    const at =
      dir === 0
        ? this.addresses.placeAt(src, srcAt, dst, dstAt, length)
        : this.addresses.placeAt(dst, dstAt, src, srcAt, length);
    const slab = this.addresses.buffer;
    const flow =
      dir === 0
        ? new Flow<T>(this.nextId++, hash, ipVersion, proto, slab, at, srcPort, dstPort, this.nowUs)
        : new Flow<T>(this.nextId++, hash, ipVersion, proto, slab, at, dstPort, srcPort, this.nowUs);
    this.buckets.add(flow);
    this.count++;
    this.stateBytes += cost;
    this.stats.created++;
    this.result.flow = flow;
    this.result.dir = dir;
    this.result.created = true;
    this.touch(flow, dir, tcpFlags);
  }

  /** Records one packet's activity and moves the flow to the list of its (possibly new) state. */
  private touch(flow: Flow<T>, dir: 0 | 1, tcpFlags: number): void {
    flow.packets++;
    if (flow.state === 'closed') return; // lingering: late packets do not extend the linger
    if (this.nowUs > flow.lastTsUs) flow.lastTsUs = this.nowUs;
    if (flow.proto !== IPPROTO_TCP) {
      this.moveTo(this.datagram, flow);
      return;
    }
    const state = tcpFlags > 0 ? updateTcpState(flow, dir, tcpFlags) : flow.state;
    this.moveTo(
      state === 'closed' ? this.closed : state === 'closing' ? this.tcpClosing : this.tcpOpen,
      flow,
    );
  }

  /** Puts a flow just touched (its last activity is the table's time) at the tail of `list`. */
  private moveTo(list: FlowList<Flow<T>>, flow: Flow<T>): void {
    // A list's first flow brings a deadline of its own, maybe earlier than the known one.
    if (list.head === null) this.nextExpiryUs = Math.min(this.nextExpiryUs, this.nowUs + list.timeoutUs);
    list.pushTail(flow);
  }

  private end(flow: Flow<T>, reason: FlowEndReason): void {
    if (flow.ended) return;
    flow.list?.remove(flow);
    this.buckets.remove(flow);
    this.count--;
    this.stateBytes -= this.stateCost(flow.proto);
    this.stats.ended[reason]++;
    // The hook runs while the flow still counts its buffer, so a reassembler flushing in end() can release it.
    this.onEnd?.(flow, reason, this.clock.realUs);
    flow.ended = true;
    this.buffered -= flow.bufferedBytes;
    flow.bufferedBytes = 0;
  }

  private stateCost(proto: number): number {
    return proto === IPPROTO_TCP ? this.options.tcpFlowBytes : this.options.datagramFlowBytes;
  }

  /** maxFlows or maxFlowBytes reached: the least recently active flow goes (a lingering closed one first). False when there is none. */
  private evictOldest(): boolean {
    const closedHead = this.closed.head;
    if (closedHead !== null) {
      this.end(closedHead, closedHead.closeReason ?? 'fin');
      return true;
    }
    let oldest: Flow<T> | null = null;
    for (const list of this.lists) {
      const h = list.head;
      if (h !== null && (oldest === null || h.lastTsUs < oldest.lastTsUs)) oldest = h;
    }
    if (oldest === null) return false;
    this.stats.evictedForFlows++;
    this.end(oldest, 'evicted');
    return true;
  }

  /** maxBufferedBytes exceeded: end the least recently active flows that hold buffered bytes. */
  private evictForMemory(): void {
    while (this.buffered > this.options.maxBufferedBytes) {
      const victim = this.oldestBuffering();
      if (victim === null) return;
      this.stats.evictedForMemory++;
      this.end(victim, 'evicted');
    }
  }

  private oldestBuffering(): Flow<T> | null {
    let oldest: Flow<T> | null = null;
    for (const list of this.lists) {
      let f = list.head;
      while (f !== null && f.bufferedBytes <= 0) f = f.next;
      if (f !== null && (oldest === null || f.lastTsUs < oldest.lastTsUs)) oldest = f;
    }
    return oldest;
  }
}

function isConnectionOpening(tcpFlags: number): boolean {
  return tcpFlags > 0 && (tcpFlags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
}

/** Who sent the first packet of a new flow: 0 when it is the client. */
function initialDirection(proto: number, srcPort: number, dstPort: number, tcpFlags: number): 0 | 1 {
  if (proto !== IPPROTO_TCP) return 0; // the sender of the first datagram is the client
  if (tcpFlags > 0 && (tcpFlags & TCP_SYN) !== 0) return (tcpFlags & TCP_ACK) !== 0 ? 1 : 0;
  return guessServerSide(srcPort, dstPort) === 0 ? 1 : 0;
}

function updateTcpState(flow: Flow<unknown>, dir: 0 | 1, tcpFlags: number): FlowState {
  if ((tcpFlags & TCP_RST) !== 0) {
    flow.closeReason = 'rst';
    return (flow.state = 'closed');
  }
  if ((tcpFlags & TCP_FIN) === 0) return flow.state;
  flow.finMask |= 1 << dir;
  if (flow.finMask !== 3) return (flow.state = 'closing');
  flow.closeReason = 'fin';
  return (flow.state = 'closed');
}

/** 0 when the packet goes client → server on flow `f`, 1 when server → client, -1 when it is another flow. */
function directionOf<T>(f: Flow<T>, key: AddressKey, srcPort: number, dstPort: number): 0 | 1 | -1 {
  const { src, srcAt, dst, dstAt, length } = key;
  if (length !== f.addrLength) return -1; // an IPv4 and an IPv6 flow whose keys hash alike
  const server = f.addrAt + length;
  if (
    f.clientPort === srcPort &&
    f.serverPort === dstPort &&
    sameAddrAt(f.addrs, f.addrAt, src, srcAt, length) &&
    sameAddrAt(f.addrs, server, dst, dstAt, length)
  ) {
    return 0;
  }
  if (
    f.clientPort === dstPort &&
    f.serverPort === srcPort &&
    sameAddrAt(f.addrs, f.addrAt, dst, dstAt, length) &&
    sameAddrAt(f.addrs, server, src, srcAt, length)
  ) {
    return 1;
  }
  return -1;
}
