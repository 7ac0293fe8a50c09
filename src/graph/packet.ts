import type { Layer } from '../decode/layer.js';
import { frameView, WindowRecord, type ByteWindow, type RecordFactory } from '../pcap/parser.js';
import type { FramedRecord, PacketRecord } from '../pcap/record.js';
import type { PacketTrace } from './trace.js';

/** Fills the layer list below while it is made; never read. */
const NO_LAYER = {} as Layer;

/**
 * An empty layer list with room for four layers (most packets have three). An empty literal
 * got its storage at the first push, through a builtin that reserves 17 slots (~90
 * instructions and 150 bytes a packet). A literal of four objects emptied with pop() keeps
 * its four slots and its element kind, so the decode nodes' pushes stay inline; emptying it
 * with `length = 0` instead drops the storage, in a runtime call.
 */
function emptyLayers(): Layer[] {
  const layers = [NO_LAYER, NO_LAYER, NO_LAYER, NO_LAYER];
  layers.pop();
  layers.pop();
  layers.pop();
  layers.pop();
  return layers;
}

/**
 * A packet travelling through the processing graph, like VPP's vlib_buffer_t: the captured
 * bytes plus the metadata nodes add on the way (decoded layers, where the next header
 * starts, the trace buffer when the packet is traced, the drop reason). A reader opened
 * with `GraphPacket.fromWindow` as its record factory hands these out itself: a record
 * copied into a packet cost as much again as parsing it.
 */
export class GraphPacket implements FramedRecord {
  /** Order of arrival at the graph, set as the packet enters it; sinks use it to restore input order within a vector. */
  seq: number;
  /**
   * The frame is `bytes[offset .. offset + caplen)`: a reader's window for captured packets,
   * the frame itself for built ones. The decoders and nodes that only test or copy bytes
   * (filters) read this range; `data` gives the frame as its own view, made on first use.
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
  flags: number | undefined;
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
  /** The reader's window `bytes` belongs to, from which `data` is made; null when the frame is its own bytes. */
  private readonly win: ByteWindow | null;
  /** `data`, once made (from the start when the frame is its own bytes). */
  private view: Uint8Array | null;

  /** A frame in a reader's window (`win` set, `bytes` its bytes), or one of its own (`win` null, `bytes` the frame). */
  private constructor(
    win: ByteWindow | null,
    bytes: Uint8Array,
    offset: number,
    caplen: number,
    origLen: number,
    tsSec: number,
    tsNsec: number,
    linkType: number,
    interfaceId: number,
    rawHeader: number,
  ) {
    this.seq = 0;
    this.bytes = bytes;
    this.offset = offset;
    this.caplen = caplen;
    this.rawHeader = rawHeader;
    this.origLen = origLen;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.linkType = linkType;
    this.interfaceId = interfaceId;
    this.comments = undefined;
    this.flags = undefined;
    this.layers = emptyLayers();
    this.derived = false;
    this.trace = null;
    this.traceFrom = 0;
    this.dropReason = null;
    this.opaque = null;
    this.win = win;
    this.view = win === null ? bytes : null;
  }

  /** The record factory for readers whose records go into the graph. */
  static readonly fromWindow: RecordFactory<GraphPacket> = (
    win,
    offset,
    caplen,
    origLen,
    tsSec,
    tsNsec,
    linkType,
    interfaceId,
    rawHeader,
  ) =>
    new GraphPacket(win, win.bytes, offset, caplen, origLen, tsSec, tsNsec, linkType, interfaceId, rawHeader);

  /** A packet for a record made elsewhere (another reader's, a test's), arriving `seq`th. */
  static fromRecord(seq: number, record: PacketRecord): GraphPacket {
    const { origLen, tsSec, tsNsec, linkType, interfaceId } = record;
    const pkt =
      record instanceof WindowRecord
        ? new GraphPacket(
            record.win,
            record.win.bytes,
            record.offset,
            record.caplen,
            origLen,
            tsSec,
            tsNsec,
            linkType,
            interfaceId,
            record.rawHeader,
          )
        : new GraphPacket(
            null,
            record.data,
            0,
            record.data.length,
            origLen,
            tsSec,
            tsNsec,
            linkType,
            interfaceId,
            0,
          );
    pkt.seq = seq;
    pkt.comments = record.comments;
    pkt.flags = record.flags;
    return pkt;
  }

  /** The captured frame as a view of its own (data.length is the captured length), made once, on first use. */
  get data(): Uint8Array {
    // win is null only for a frame that is its own bytes, whose view was set when it was made.
    return (this.view ??= frameView(this.win!, this.offset, this.caplen));
  }

  /**
   * `data.subarray(from, to)` without making `data` first when it is not there yet: one view
   * a packet instead of two, for a node that hands on only a part of the frame (a payload).
   */
  frameRange(from: number, to: number): Uint8Array {
    if (this.view !== null) return this.view.subarray(from, to);
    const end = Math.min(Math.max(to, from), this.caplen);
    const start = Math.min(from, end);
    return frameView(this.win!, this.offset + start, end - start);
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
    const pkt = new GraphPacket(
      null,
      data,
      0,
      data.length,
      data.length,
      this.tsSec,
      this.tsNsec,
      linkType,
      this.interfaceId,
      0,
    );
    pkt.seq = this.seq;
    pkt.derived = true;
    return pkt;
  }
}
