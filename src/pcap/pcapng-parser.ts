import type { CaptureFileError } from '../util/errors.js';
import { CAPTURE_ERROR_CODES as E, captureError, type CaptureErrorCode } from './codes.js';
import { MAX_BLOCK_BYTES, MAX_RECORD_BYTES } from './limits.js';
import {
  PCAPNG_SHB_TYPE,
  type ByteWindow,
  type FormatParser,
  type NameRecord,
  type RecordFactory,
  type RecordGate,
} from './parser.js';
import { readNameRecords } from './pcapng-names.js';
import { readPacketOptions, readInterfaceOptions, validateOptions } from './pcapng-block-options.js';
import type { CaptureInterface, FramedRecord } from './record.js';
import { resolution, unitsToTime, type Resolution, type TimeSlot } from './timestamp.js';

const BLOCK_IDB = 1;
const BLOCK_PB = 2;
const BLOCK_EPB = 6;
const BLOCK_SPB = 3;
const BLOCK_NRB = 4;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const MIN_BLOCK = 12;
const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_PACKET_BLOCK = 32;
const MIN_SPB = 16;
const DEFAULT_UNITS = 1_000_000;

/**
 * pcapng: a sequence of blocks (type, length, body, length again). Sections may switch
 * byte order; interfaces are numbered across sections in the order their IDBs appear,
 * so `interfaceId` indexes `interfaces` directly.
 */
export class PcapngParser<R extends FramedRecord> implements FormatParser<R> {
  readonly format = 'pcapng' as const;
  readonly interfaces: CaptureInterface[] = [];
  readonly names: NameRecord[] = [];
  error: CaptureFileError | null = null;
  needed = MIN_BLOCK;
  gate: RecordGate | null = null;
  private le = true;
  private section = -1;
  /** Index in `interfaces` of the current section's interface 0. */
  private sectionBase = 0;
  private readonly resolutions: Resolution[] = [];
  private readonly time: TimeSlot = { sec: 0, nsec: 0 };

  constructor(private readonly makeRecord: RecordFactory<R>) {}

  parse(win: ByteWindow, pos: number, end: number, out: R[], max: number): number {
    const view = win.view;
    while (out.length < max && this.error === null) {
      if (end - pos < MIN_BLOCK) {
        this.needed = MIN_BLOCK;
        return pos;
      }
      const type = view.getUint32(pos, this.le);
      if (type === PCAPNG_SHB_TYPE && !this.readByteOrder(win, pos)) return pos;
      if (this.section < 0 && type !== PCAPNG_SHB_TYPE) {
        this.fail(E.PCAP_BAD_MAGIC, 'no section header', win, pos);
        return pos;
      }
      const length = view.getUint32(pos + 4, this.le);
      if (!this.checkLength(win, pos, length)) return pos;
      if (end - pos < length) {
        this.needed = length;
        return pos;
      }
      const before = out.length;
      // Content first, trailer second: Wireshark reports a bad option before a bad trailer.
      if (!this.readBlock(win, type, pos, length, out)) return pos;
      if (view.getUint32(pos + length - 4, this.le) !== length) {
        out.length = before;
        this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, 'block trailer length differs', win, pos + length - 4);
        return pos;
      }
      pos += length;
    }
    return pos;
  }

  endOfInput(leftover: number, at: number): void {
    if (this.error === null && leftover > 0) {
      this.error = captureError(
        E.PCAPNG_TRUNCATED_BLOCK,
        `block cut short: ${leftover} of ${this.needed} bytes`,
        at,
      );
    }
  }

  private checkLength(win: ByteWindow, pos: number, length: number): boolean {
    if (length < MIN_BLOCK || length % 4 !== 0)
      return this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, `block length ${length}`, win, pos + 4);
    if (length > MAX_BLOCK_BYTES)
      return this.fail(E.PCAPNG_BLOCK_TOO_LARGE, `block of ${length} bytes`, win, pos + 4);
    return true;
  }

  /** Records the damage; always false so block readers can `return this.fail(...)`. */
  private fail(code: CaptureErrorCode, message: string, win: ByteWindow, pos: number): false {
    this.error = captureError(code, message, win.base + pos);
    return false;
  }

  /** A section header sets the byte order of everything up to the next one. */
  private readByteOrder(win: ByteWindow, pos: number): boolean {
    const magic = win.view.getUint32(pos + 8, true);
    if (magic === BYTE_ORDER_MAGIC) this.le = true;
    else if (magic === 0x4d3c2b1a) this.le = false;
    else return this.fail(E.PCAPNG_BAD_BYTE_ORDER, `byte-order magic 0x${magic.toString(16)}`, win, pos + 8);
    return true;
  }

  private readBlock(win: ByteWindow, type: number, pos: number, length: number, out: R[]): boolean {
    switch (type) {
      case BLOCK_EPB:
        return this.readPacket(win, pos, length, win.view.getUint32(pos + 8, this.le), out);
      case BLOCK_SPB:
        return this.readSimplePacket(win, pos, length, out);
      case BLOCK_PB:
        return this.readPacket(win, pos, length, win.view.getUint16(pos + 8, this.le), out);
      case BLOCK_IDB:
        return this.readInterface(win, pos, length);
      case PCAPNG_SHB_TYPE:
        return this.readSection(win, pos, length);
      case BLOCK_NRB:
        return this.readNames(win, pos, length);
      default:
        // ISB, DSB, custom and unknown blocks carry nothing a reader of packets needs.
        return true;
    }
  }

  private readSection(win: ByteWindow, pos: number, length: number): boolean {
    if (length < MIN_SHB) return this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, `SHB length ${length}`, win, pos + 4);
    const major = win.view.getUint16(pos + 12, this.le);
    const minor = win.view.getUint16(pos + 14, this.le);
    if (major !== 1 || minor > 2)
      return this.fail(E.PCAPNG_BAD_VERSION, `SHB version ${major}.${minor}`, win, pos + 12);
    const bad = validateOptions(win, pos + 24, pos + length - 4, this.le);
    if (bad >= 0) return this.fail(E.PCAPNG_BAD_OPTION, 'SHB option runs past the block', win, bad);
    this.section += 1;
    this.sectionBase = this.interfaces.length;
    return true;
  }

  private readInterface(win: ByteWindow, pos: number, length: number): boolean {
    if (length < MIN_IDB) return this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, `IDB length ${length}`, win, pos + 4);
    const iface: CaptureInterface = {
      linkType: win.view.getUint16(pos + 8, this.le),
      snaplen: win.view.getUint32(pos + 12, this.le),
      section: this.section,
      tsUnitsPerSecond: DEFAULT_UNITS,
      tsOffsetSec: 0,
    };
    const bad = readInterfaceOptions(win, pos + 16, pos + length - 4, this.le, iface);
    if (bad >= 0) return this.fail(E.PCAPNG_BAD_OPTION, 'bad IDB option', win, bad);
    this.interfaces.push(iface);
    this.resolutions.push(resolution(iface.tsUnitsPerSecond));
    return true;
  }

  private readNames(win: ByteWindow, pos: number, length: number): boolean {
    if (readNameRecords(win.view, win.bytes, pos + 8, pos + length - 4, this.le, this.names)) return true;
    return this.fail(E.PCAPNG_BAD_OPTION, 'name record runs past the block', win, pos);
  }

  /** EPB (32-bit interface id) and the obsolete Packet Block (16-bit id) share one layout from byte 12 on. */
  private readPacket(win: ByteWindow, pos: number, length: number, localId: number, out: R[]): boolean {
    if (length < MIN_PACKET_BLOCK)
      return this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, `packet block length ${length}`, win, pos + 4);
    const view = win.view;
    // Compared, not just read: see PcapParser.readRecords.
    const le = this.le === true;
    const interfaceId = this.sectionBase + localId;
    if (localId >= this.interfaces.length - this.sectionBase) {
      return this.fail(E.PCAPNG_UNKNOWN_INTERFACE, `interface ${localId} not declared`, win, pos + 8);
    }
    const caplen = view.getUint32(pos + 20, le);
    if (caplen > MAX_RECORD_BYTES)
      return this.fail(E.PCAP_RECORD_TOO_LARGE, `record of ${caplen} bytes`, win, pos + 20);
    const dataEnd = pos + 28 + caplen;
    const bodyEnd = pos + length - 4;
    if (dataEnd > bodyEnd)
      return this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, 'captured length exceeds block', win, pos + 20);
    unitsToTime(
      view.getUint32(pos + 12, le),
      view.getUint32(pos + 16, le),
      this.resolutions[interfaceId],
      this.time,
    );
    const record = this.makeRecord(
      win,
      pos + 28,
      caplen,
      view.getUint32(pos + 24, le),
      this.time.sec + this.interfaces[interfaceId].tsOffsetSec,
      this.time.nsec,
      this.interfaces[interfaceId].linkType,
      interfaceId,
      0,
    );
    const optionsStart = (dataEnd + 3) & ~3;
    if (optionsStart < bodyEnd) {
      const bad = readPacketOptions(win, optionsStart, bodyEnd, le, record);
      if (bad >= 0) return this.fail(E.PCAPNG_BAD_OPTION, 'packet option runs past the block', win, bad);
    }
    this.admit(record, out);
    return true;
  }

  /** Passes a whole, valid record through the gate (damage is reported whether or not the filter wants the packet). */
  private admit(record: R, out: R[]): void {
    const gate = this.gate;
    if (gate === null || gate(record.bytes, record.offset, record.caplen, record.origLen, record.linkType))
      out.push(record);
  }

  /** SPB: no timestamp, no interface id (always interface 0), captured length bounded by that interface's snaplen. */
  private readSimplePacket(win: ByteWindow, pos: number, length: number, out: R[]): boolean {
    if (length < MIN_SPB) return this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, `SPB length ${length}`, win, pos + 4);
    if (this.interfaces.length === this.sectionBase) {
      return this.fail(E.PCAPNG_UNKNOWN_INTERFACE, 'simple packet block before any IDB', win, pos);
    }
    const iface = this.interfaces[this.sectionBase];
    const origLen = win.view.getUint32(pos + 8, this.le);
    const caplen = iface.snaplen !== 0 && iface.snaplen < origLen ? iface.snaplen : origLen;
    if (caplen > MAX_RECORD_BYTES)
      return this.fail(E.PCAP_RECORD_TOO_LARGE, `record of ${caplen} bytes`, win, pos + 8);
    if (caplen > length - MIN_SPB)
      return this.fail(E.PCAPNG_BAD_BLOCK_LENGTH, 'packet exceeds block', win, pos + 4);
    this.admit(
      this.makeRecord(win, pos + 12, caplen, origLen, 0, 0, iface.linkType, this.sectionBase, 0),
      out,
    );
    return true;
  }
}
