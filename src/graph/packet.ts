import type { Layer } from '../decode/layer.js';
import type { PacketRecord } from '../pcap/record.js';
import type { PacketTrace } from './trace.js';

/**
 * A packet travelling through the processing graph, like VPP's vlib_buffer_t: the captured
 * bytes plus the metadata nodes add on the way (decoded layers, where the next header
 * starts, the trace buffer when the packet is traced, the drop reason).
 */
export class GraphPacket {
  /** Order of arrival at the graph; sinks use it to restore input order within a vector. */
  seq: number;
  data: Uint8Array;
  origLen: number;
  tsSec: number;
  tsNsec: number;
  linkType: number;
  interfaceId: number;
  comments: string[] | undefined;
  /** Layers decoded so far, outermost first. */
  layers: Layer[];
  /** True for a packet the graph built itself (a reassembled datagram), not one that was captured. */
  derived: boolean;
  trace: PacketTrace | null;
  /** For traced packets: how many layers existed when the current node started (its trace shows the rest). */
  traceFrom: number;
  dropReason: string | null;
  /** Per-packet state a group of nodes passes along (VPP's buffer opaque), e.g. the packet's flow. */
  opaque: unknown;

  constructor(seq: number, record: PacketRecord) {
    this.seq = seq;
    this.data = record.data;
    this.origLen = record.origLen;
    this.tsSec = record.tsSec;
    this.tsNsec = record.tsNsec;
    this.linkType = record.linkType;
    this.interfaceId = record.interfaceId;
    this.comments = record.comments;
    this.layers = [];
    this.derived = false;
    this.trace = null;
    this.traceFrom = 0;
    this.dropReason = null;
    this.opaque = null;
  }

  /** Capture time in microseconds since the epoch (exact for any real date). */
  get tsUs(): number {
    return this.tsSec * 1_000_000 + Math.floor(this.tsNsec / 1000);
  }

  get lastLayer(): Layer | undefined {
    return this.layers[this.layers.length - 1];
  }

  /** A new packet built by a node (e.g. a reassembled datagram) that inherits this one's timing. */
  derive(data: Uint8Array, linkType: number): GraphPacket {
    const pkt = new GraphPacket(this.seq, {
      data,
      origLen: data.length,
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      linkType,
      interfaceId: this.interfaceId,
    });
    pkt.derived = true;
    return pkt;
  }
}
