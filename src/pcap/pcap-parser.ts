import type { CaptureFileError } from '../util/errors.js';
import { CAPTURE_ERROR_CODES as E, captureError } from './codes.js';
import { MAX_RECORD_BYTES } from './limits.js';
import {
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  type ByteWindow,
  type FormatParser,
  type NameRecord,
  type RecordFactory,
  type RecordGate,
} from './parser.js';
import type { CaptureInterface, FramedRecord } from './record.js';

const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** Link-type field layout (libpcap): low 26 bits link type of which bits 16..25 are reserved, then an FCS-length flag and length. */
const LINKTYPE_MASK = 0xffff;
const LINKTYPE_RESERVED_MASK = 0x03ff0000;

/** Classic libpcap savefile: a 24-byte header, then 16-byte record headers each followed by caplen bytes. */
export class PcapParser<R extends FramedRecord> implements FormatParser<R> {
  readonly format = 'pcap' as const;
  readonly interfaces: CaptureInterface[] = [];
  readonly names: NameRecord[] = [];
  error: CaptureFileError | null = null;
  needed = FILE_HEADER_BYTES;
  gate: RecordGate | null = null;
  private littleEndian = true;
  private fractionToNs = 1000;
  private fractionPerSec = 1_000_000;
  private linkType = 0;
  private rawHeader = 0;

  constructor(private readonly makeRecord: RecordFactory<R>) {}

  parse(win: ByteWindow, pos: number, end: number, out: R[], max: number): number {
    if (this.error) return pos;
    if (this.interfaces.length === 0) {
      if (end - pos < FILE_HEADER_BYTES) {
        this.needed = FILE_HEADER_BYTES;
        return pos;
      }
      if (!this.readFileHeader(win, pos)) return pos;
      pos += FILE_HEADER_BYTES;
    }
    return this.readRecords(win, pos, end, out, max);
  }

  endOfInput(leftover: number, at: number): void {
    if (this.error || leftover === 0) return;
    this.error =
      this.interfaces.length === 0
        ? captureError(E.PCAP_TRUNCATED_HEADER, `pcap file header cut short: ${leftover} of 24 bytes`, at)
        : captureError(
            E.PCAP_TRUNCATED_RECORD,
            `last record cut short: ${leftover} of ${this.needed} bytes`,
            at,
          );
  }

  private readFileHeader(win: ByteWindow, pos: number): boolean {
    const view = win.view;
    const magicLE = view.getUint32(pos, true);
    this.littleEndian = magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS;
    const le = this.littleEndian;
    const nano = view.getUint32(pos, le) === PCAP_MAGIC_NS;
    this.fractionToNs = nano ? 1 : 1000;
    this.fractionPerSec = nano ? 1_000_000_000 : 1_000_000;
    // A little-endian file's record headers are what PcapEncoder writes for the same resolution.
    this.rawHeader = le ? this.fractionPerSec : 0;
    const major = view.getUint16(pos + 4, le);
    const minor = view.getUint16(pos + 6, le);
    if (major !== 2) {
      this.error = captureError(
        E.PCAP_BAD_VERSION,
        `pcap version ${major}.${minor} unsupported`,
        win.base + pos + 4,
      );
      return false;
    }
    const snaplen = view.getUint32(pos + 16, le);
    const linkField = view.getUint32(pos + 20, le);
    if ((linkField & LINKTYPE_RESERVED_MASK) !== 0) {
      const hex = (linkField & LINKTYPE_RESERVED_MASK).toString(16).padStart(8, '0');
      this.error = captureError(
        E.PCAP_BAD_LINKTYPE,
        `link-type reserved bits set (0x${hex})`,
        win.base + pos + 20,
      );
      return false;
    }
    this.linkType = linkField & LINKTYPE_MASK;
    this.interfaces.push({
      linkType: this.linkType,
      snaplen,
      section: 0,
      tsUnitsPerSecond: this.fractionPerSec,
      tsOffsetSec: 0,
    });
    return true;
  }

  private readRecords(win: ByteWindow, pos: number, end: number, out: R[], max: number): number {
    const view = win.view;
    // Compared, not just read: a field's type is not tracked for booleans, so every
    // getUint32 would first test what kind of value `le` is (~10 instructions each).
    const le = this.littleEndian === true;
    const gate = this.gate;
    while (out.length < max) {
      if (end - pos < RECORD_HEADER_BYTES) {
        this.needed = RECORD_HEADER_BYTES;
        return pos;
      }
      const caplen = view.getUint32(pos + 8, le);
      if (caplen > MAX_RECORD_BYTES) {
        this.error = captureError(
          E.PCAP_RECORD_TOO_LARGE,
          `record of ${caplen} bytes exceeds ${MAX_RECORD_BYTES}`,
          win.base + pos + 8,
        );
        return pos;
      }
      const size = RECORD_HEADER_BYTES + caplen;
      if (end - pos < size) {
        this.needed = size;
        return pos;
      }
      const origLen = view.getUint32(pos + 12, le);
      if (gate === null || gate(win.bytes, pos + RECORD_HEADER_BYTES, caplen, origLen, this.linkType))
        out.push(this.record(win, pos, caplen, origLen, le));
      pos += size;
    }
    return pos;
  }

  private record(win: ByteWindow, pos: number, caplen: number, origLen: number, le: boolean): R {
    const view = win.view;
    // Out-of-range fractions (tcpdump's timestamp_invalid_nano.pcap) carry into the seconds, keeping the instant exact.
    const fraction = view.getUint32(pos + 4, le);
    const carry = fraction >= this.fractionPerSec ? Math.floor(fraction / this.fractionPerSec) : 0;
    return this.makeRecord(
      win,
      pos + RECORD_HEADER_BYTES,
      caplen,
      origLen,
      view.getUint32(pos, le) + carry,
      (fraction - carry * this.fractionPerSec) * this.fractionToNs,
      this.linkType,
      0,
      carry === 0 ? this.rawHeader : 0,
    );
  }
}
