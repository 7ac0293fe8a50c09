import { formatIpv6 } from '../decode/format.js';
import type { EntryDraft, Endpoint } from '../dissect/entry.js';
import { DISSECTORS } from '../dissect/registry.js';
import { ProtocolSelector } from '../dissect/selector.js';
import {
  DEFAULT_DISSECT_LIMITS,
  type DissectLimits,
  type DissectorFactory,
  type StreamContext,
} from '../dissect/types.js';
import { FlowTable, type Flow, type FlowTableOptions } from '../flow/flow-table.js';
import { TcpReassembler, type ReassemblyLimits } from '../flow/tcp-reassembly.js';
import { DatagramStream } from '../flow/udp-stream.js';
import { StreamEventQueue } from './stream-events.js';

export type Transport = 'tcp' | 'udp' | 'sctp';

/**
 * Everything meshtap keeps for one L4 stream, and the stream's context for its dissector.
 * Being the context itself (methods, not closures over a context object) keeps one object
 * per flow where there were four: a capture can hold tens of thousands of flows at once.
 */
export class FlowSession implements StreamContext {
  readonly queue = new StreamEventQueue();
  tcp: TcpReassembler | null = null;
  datagrams: DatagramStream | null = null;
  selector: ProtocolSelector | null = null;
  /** Entries emitted since the dissect node last looked (for its trace lines). */
  emitted: EntryDraft[] = [];

  constructor(
    readonly transport: Transport,
    readonly streamId: number,
    readonly client: Endpoint,
    readonly server: Endpoint,
    readonly limits: DissectLimits,
    private readonly plane: FlowPlane,
  ) {}

  emit(entry: EntryDraft): void {
    this.emitted.push(entry);
    this.plane.entryDone(entry);
  }

  anomaly(name: string): void {
    this.plane.anomaly(name);
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
  readonly anomalies = new Map<string, number>();
  readonly protocols = new Map<string, number>();
  /**
   * Flows the table ended (FIN linger over, idle, evicted) during this vector. Their
   * reassemblers are ended only when the dissect node flushes them: flow-lookup may end a
   * flow while segments it looked up earlier in the same vector still wait for tcp-reassembly.
   */
  private readonly ended: Array<{ session: FlowSession; tsUs: number }> = [];
  entries = 0;

  constructor(private readonly options: FlowPlaneOptions) {
    this.table = new FlowTable<FlowSession>(options.table, (flow, _reason, tsUs) => {
      if (flow.value) this.ended.push({ session: flow.value, tsUs });
    });
  }

  /** Creates the session of a new flow: its reassembler (TCP) or datagram stream, and its dissector. */
  open(flow: Flow<FlowSession>, transport: Transport): FlowSession {
    const session = new FlowSession(
      transport,
      flow.id,
      endpoint(flow.clientAddr, flow.clientPort),
      endpoint(flow.serverAddr, flow.serverPort),
      this.options.limits ?? DEFAULT_DISSECT_LIMITS,
      this,
    );
    session.selector = new ProtocolSelector(this.options.dissectors ?? DISSECTORS, session);
    if (transport === 'tcp') {
      session.tcp = new TcpReassembler(session.queue, {
        ...this.options.reassembly,
        onBufferChange: (delta) => this.table.chargeBuffer(flow, delta),
        anomaly: (name) => this.anomaly(name),
      });
    } else {
      session.datagrams = new DatagramStream(session.queue);
    }
    flow.value = session;
    return session;
  }

  /** Feeds a session's queued stream events to its dissector. */
  dissect(session: FlowSession): number {
    if (session.selector === null || session.queue.size === 0) return 0;
    return session.queue.drainInto(session.selector);
  }

  /** End of input: every flow ends and is flushed. */
  finish(): void {
    this.table.endAll();
    this.flushEnded();
  }

  /** Ends the reassemblers of the flows that ended and lets their dissectors flush. */
  flushEnded(): void {
    for (const { session, tsUs } of this.ended) {
      session.tcp?.end(tsUs);
      session.datagrams?.end(tsUs);
      this.dissect(session);
      if (session.selector?.protocol) this.count(this.protocols, session.selector.protocol);
    }
    this.ended.length = 0;
  }

  /** A session's dissector finished an exchange. */
  entryDone(entry: EntryDraft): void {
    this.entries++;
    this.options.onEntry(entry);
  }

  /** Counts an oddity a reassembler or dissector reported. */
  anomaly(name: string): void {
    this.count(this.anomalies, name);
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

function endpoint(addr: Uint8Array, port: number): Endpoint {
  const ip = addr.length === 4 ? `${addr[0]}.${addr[1]}.${addr[2]}.${addr[3]}` : formatIpv6(addr, 0);
  return { ip, port };
}
