import type { Layer } from '../decode/layer.js';
import { WindowRecord } from '../pcap/parser.js';
import type { FramedRecord, PacketRecord } from '../pcap/record.js';
import type { PacketTrace } from './trace.js';

/**
 * A packet travelling through the processing graph, like VPP's vlib_buffer_t: the captured
 * bytes plus the metadata nodes add on the way (decoded layers, where the next header
 * starts, the trace buffer when the packet is traced, the drop reason).
 */
export class GraphPacket implements FramedRecord {
  /** Order of arrival at the graph; sinks use it to restore input order within a vector. */
  seq: number;
  /**
   * The frame is `bytes[offset .. offset + caplen)`: a reader's window for captured packets,
   * the frame itself for built ones. Nodes that only test or copy bytes (filters) read this
   * range; `data` gives the frame as its own view, made on first use.
   */
  bytes: Uint8Array;
  offset: number;
  caplen: number;
  /** See FramedRecord.rawHeader: the captured record's header as read, when a writer can copy it. */
  rawHeader: number;
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
  private readonly record: PacketRecord;

  constructor(seq: number, record: PacketRecord) {
    // The record's fields are read before this packet's are written: each read after a
    // write checked the record's map again.
    const { origLen, tsSec, tsNsec, linkType, interfaceId, comments } = record;
    this.seq = seq;
    this.record = record;
    if (record instanceof WindowRecord) {
      this.bytes = record.win.bytes;
      this.offset = record.offset;
      this.caplen = record.caplen;
      this.rawHeader = record.rawHeader;
    } else {
      const data = record.data;
      this.bytes = data;
      this.offset = 0;
      this.caplen = data.length;
      this.rawHeader = 0;
    }
    this.origLen = origLen;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.linkType = linkType;
    this.interfaceId = interfaceId;
    this.comments = comments;
    this.layers = [];
    this.derived = false;
    this.trace = null;
    this.traceFrom = 0;
    this.dropReason = null;
    this.opaque = null;
  }

  /** The captured frame as a view of its own (data.length is the captured length); a WindowRecord makes it once, on first use. */
  get data(): Uint8Array {
    return this.record.data;
  }

  /** Capture time in microseconds since the epoch (exact for any real date). */
  get tsUs(): number {
    return this.tsSec * 1_000_000 + Math.floor(this.tsNsec / 1000);
  }

  get lastLayer(): Layer | undefined {
    // Never index -1: a negative index is a property name, looked up through the runtime
    // (~600 instructions), and every packet asks this twice before its first layer.
    const count = this.layers.length;
    return count === 0 ? undefined : this.layers[count - 1];
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
