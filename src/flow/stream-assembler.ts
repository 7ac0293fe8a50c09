import type { Flow, FlowEndReason, FlowTableOptions } from './flow-table.js';
import { FlowTable, IPPROTO_TCP, IPPROTO_UDP } from './flow-table.js';
import {
  TcpReassembler,
  withReassemblyDefaults,
  type ReassemblyLimits,
  type StreamSink,
} from './tcp-reassembly.js';
import { DatagramStream } from './udp-stream.js';

/** Per-flow state the assembler keeps in the flow table: one of the two is set. */
export interface StreamState {
  tcp: TcpReassembler | null;
  udp: DatagramStream | null;
}

export interface StreamAssemblerOptions {
  table?: Partial<FlowTableOptions>;
  reassembly?: Partial<ReassemblyLimits>;
  /** An oddity seen on one flow (`tcp.overlap_conflict`, ...). */
  anomaly?: (flow: Flow<StreamState>, name: string) => void;
  /** Told after a flow's sink got end(). */
  onFlowEnd?: (flow: Flow<StreamState>, reason: FlowEndReason) => void;
}

/**
 * Wires the flow table to the per-flow TCP reassembler or datagram stream, and those to a
 * sink made for each new flow (typically a dissector). Takes already-decoded primitive
 * fields so it does not depend on the packet decoders.
 */
export class StreamAssembler {
  readonly table: FlowTable<StreamState>;
  /** Resolved once: every flow's reassembler shares it. */
  private readonly reassemblyLimits: ReassemblyLimits;

  constructor(
    private readonly createSink: (flow: Flow<StreamState>) => StreamSink,
    private readonly options: StreamAssemblerOptions = {},
  ) {
    this.reassemblyLimits = withReassemblyDefaults(options.reassembly ?? {});
    this.table = new FlowTable<StreamState>(options.table, (flow, reason, tsUs) =>
      this.flowEnded(flow, reason, tsUs),
    );
  }

  tcp(
    ipVersion: 4 | 6,
    srcAddr: Uint8Array,
    srcPort: number,
    dstAddr: Uint8Array,
    dstPort: number,
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array,
    tsUs: number,
  ): void {
    const r = this.table.lookup(ipVersion, srcAddr, srcPort, dstAddr, dstPort, IPPROTO_TCP, tsUs, flags);
    const state = r.created ? this.startTcp(r.flow) : r.flow.value;
    state?.tcp?.segment(r.dir, seq, ack, flags, payload, tsUs);
  }

  udp(
    ipVersion: 4 | 6,
    srcAddr: Uint8Array,
    srcPort: number,
    dstAddr: Uint8Array,
    dstPort: number,
    payload: Uint8Array,
    tsUs: number,
  ): void {
    const r = this.table.lookup(ipVersion, srcAddr, srcPort, dstAddr, dstPort, IPPROTO_UDP, tsUs);
    if (r.created) r.flow.value = { tcp: null, udp: new DatagramStream(this.createSink(r.flow)) };
    r.flow.value?.udp?.datagram(r.dir, payload, tsUs);
  }

  /** End of input: every stream is flushed and ended. */
  finish(tsUs?: number): void {
    this.table.endAll(tsUs);
  }

  private startTcp(flow: Flow<StreamState>): StreamState {
    const table = this.table;
    const anomaly = this.options.anomaly;
    const tcp = new TcpReassembler(this.createSink(flow), this.reassemblyLimits, {
      hold: (delta) => table.chargeBuffer(flow, delta),
      anomaly: anomaly === undefined ? undefined : (name) => anomaly(flow, name),
    });
    return (flow.value = { tcp, udp: null });
  }

  private flowEnded(flow: Flow<StreamState>, reason: FlowEndReason, tsUs: number): void {
    flow.value?.tcp?.end(tsUs);
    flow.value?.udp?.end(tsUs);
    this.options.onFlowEnd?.(flow, reason);
  }
}
