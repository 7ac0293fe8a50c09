import type { CaptureFileError } from '../util/errors.js';
import type { CaptureFormat, CaptureInterface, PacketRecord } from './record.js';

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
 * A resumable parser for one capture format (the ws `Receiver` pattern): it consumes
 * whole units (file header, record, block) from a window and stops when the next unit
 * is not complete, saying in `needed` how many bytes that unit spans. It never throws:
 * damage sets `error` and parsing stops for good.
 */
export interface FormatParser {
  readonly format: CaptureFormat;
  readonly interfaces: CaptureInterface[];
  readonly names: NameRecord[];
  error: CaptureFileError | null;
  /** Total byte length of the unit parse() stopped at for lack of bytes. */
  needed: number;
  /** Parses units in [pos, end) of the window, appending packets to `out` until it holds `max`; returns the new position. */
  parse(win: ByteWindow, pos: number, end: number, out: PacketRecord[], max: number): number;
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
 * A record's bytes [start, end) of the window, as a view. Made with the Uint8Array
 * constructor rather than subarray(), which looks up a species constructor on every call:
 * one view per packet, half the cost, and always a plain Uint8Array.
 */
export function recordView(win: ByteWindow, start: number, end: number): Uint8Array {
  return new Uint8Array(win.buffer, win.byteOffset + start, end - start);
}
