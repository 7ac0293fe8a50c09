import type { CaptureFileError } from '../util/errors.js';
import type { CaptureFormat, CaptureInterface, FramedRecord } from './record.js';

/** The bytes a parser works on: `bytes[0]` is at absolute file offset `base`. */
export interface ByteWindow {
  bytes: Uint8Array;
  view: DataView;
  /** bytes.buffer and bytes.byteOffset, read once: each read of them is a call into the runtime. */
  buffer: ArrayBufferLike;
  byteOffset: number;
  base: number;
}

export interface NameRecord {
  address: string;
  names: string[];
}

/**
 * A capture filter applied where records are parsed (libpcap applies a savefile's filter the
 * same way, before the packet reaches its caller): the frame is `bytes[offset .. offset +
 * caplen)`. A record it rejects is never made. It may throw (a
 * filter that cannot apply to the file's link type); the throw reaches the reader's consumer.
 */
export type RecordGate = (
  bytes: Uint8Array,
  offset: number,
  caplen: number,
  origLen: number,
  linkType: number,
) => boolean;

/**
 * A resumable parser for one capture format (the ws `Receiver` pattern): it consumes
 * whole units (file header, record, block) from a window and stops when the next unit
 * is not complete, saying in `needed` how many bytes that unit spans. It never throws:
 * damage sets `error` and parsing stops for good.
 */
export interface FormatParser<R extends FramedRecord> {
  readonly format: CaptureFormat;
  readonly interfaces: CaptureInterface[];
  readonly names: NameRecord[];
  error: CaptureFileError | null;
  /** Total byte length of the unit parse() stopped at for lack of bytes. */
  needed: number;
  /** Records pass this before they are handed out; null passes all. */
  gate: RecordGate | null;
  /** Parses units in [pos, end) of the window, appending packets to `out` until it holds `max`; returns the new position. */
  parse(win: ByteWindow, pos: number, end: number, out: R[], max: number): number;
  /** The input ended with `leftover` unparsed bytes starting at absolute offset `at`. */
  endOfInput(leftover: number, at: number): void;
}

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;

/** Format named by the first four bytes (read little-endian), or null. Never by file name. */
export function detectFormat(view: DataView, pos: number, end: number): CaptureFormat | null {
  if (end - pos < 4) return null;
  const le = view.getUint32(pos, true);
  const be = view.getUint32(pos, false);
  if (le === PCAPNG_SHB_TYPE) return 'pcapng';
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS)
    return 'pcap';
  return null;
}

export function windowOf(bytes: Uint8Array, base: number): ByteWindow {
  const { buffer, byteOffset } = bytes;
  return { bytes, view: new DataView(buffer, byteOffset, bytes.byteLength), buffer, byteOffset, base };
}

/**
 * The frame `win.bytes[offset .. offset + caplen)` as a view of its own. Made with the
 * Uint8Array constructor from the window's cached buffer and offset: `subarray()` looks up a
 * species constructor on every call.
 */
export function frameView(win: ByteWindow, offset: number, caplen: number): Uint8Array {
  return new Uint8Array(win.buffer, win.byteOffset + offset, caplen);
}

/**
 * Makes the record a parser hands out for the frame `win.bytes[offset .. offset + caplen)`
 * (see FramedRecord.rawHeader for `rawHeader`). A consumer that would otherwise wrap every
 * record in an object of its own (the graph's packet) passes a factory for that object, so
 * each captured frame is one object, made once.
 */
export type RecordFactory<R extends FramedRecord> = (
  win: ByteWindow,
  offset: number,
  caplen: number,
  origLen: number,
  tsSec: number,
  tsNsec: number,
  linkType: number,
  interfaceId: number,
  rawHeader: number,
) => R;

/**
 * A record as the readers hand it out: its bytes stay the range [offset, offset + caplen) of
 * the reader's window, and the `data` view is made the first time someone reads it. Filters
 * and writers that take the range skip the view; a typed-array view per packet cost as much
 * as parsing the record.
 */
export class WindowRecord implements FramedRecord {
  comments: string[] | undefined;
  flags: number | undefined;
  private view: Uint8Array | null;

  constructor(
    readonly win: ByteWindow,
    readonly offset: number,
    readonly caplen: number,
    public origLen: number,
    public tsSec: number,
    public tsNsec: number,
    public linkType: number,
    public interfaceId: number,
    /** See FramedRecord.rawHeader. */
    readonly rawHeader: number,
  ) {
    this.comments = undefined;
    this.flags = undefined;
    this.view = null;
  }

  get bytes(): Uint8Array {
    return this.win.bytes;
  }

  get data(): Uint8Array {
    return (this.view ??= frameView(this.win, this.offset, this.caplen));
  }
}

/** The readers' default record factory. */
export const windowRecord: RecordFactory<WindowRecord> = (
  win,
  offset,
  caplen,
  origLen,
  tsSec,
  tsNsec,
  linkType,
  interfaceId,
  rawHeader,
) => new WindowRecord(win, offset, caplen, origLen, tsSec, tsNsec, linkType, interfaceId, rawHeader);
