import type { CaptureOutput } from './output-buffer.js';
import { PCAPNG_SHB_TYPE } from './parser.js';
import type { CaptureInterface, PacketRecord } from './record.js';
import { nsToUnits, type Halves } from './timestamp.js';

const BLOCK_IDB = 1;
const BLOCK_EPB = 6;
const SHB_BYTES = 28;
const EPB_FIXED_BYTES = 32;
const OPT_COMMENT = 1;
const OPT_EPB_FLAGS = 2;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
/** if_tsresol value 9: nanoseconds, so every PacketRecord timestamp is written exactly. */
const NANOSECOND_RESOLUTION = 9;
const utf8 = new TextEncoder();
/** Option lengths are 16-bit; longer text is cut rather than corrupting the block. */
const MAX_OPTION_BYTES = 0xfffc;

function optionValue(text: string): Uint8Array {
  const bytes = utf8.encode(text);
  return bytes.length > MAX_OPTION_BYTES ? bytes.subarray(0, MAX_OPTION_BYTES) : bytes;
}

function padded(length: number): number {
  return (length + 3) & ~3;
}

/**
 * Encodes records as one little-endian pcapng section. Each distinct (interfaceId,
 * linkType) of the input gets its own IDB the first time a record of it appears, so
 * records from several interfaces or readers keep their link types.
 */
export class PcapngEncoder {
  private readonly idbFor = new Map<number, number>();
  private readonly ts: Halves = { hi: 0, lo: 0 };

  constructor(
    private readonly out: CaptureOutput,
    private readonly interfaces: readonly CaptureInterface[],
    private readonly snaplen: number,
  ) {
    this.writeSectionHeader();
  }

  write(record: PacketRecord): void {
    const key = record.interfaceId * 0x10000 + record.linkType;
    let outId = this.idbFor.get(key);
    if (outId === undefined) {
      outId = this.idbFor.size;
      this.idbFor.set(key, outId);
      this.writeInterface(record);
    }
    this.writePacket(record, outId);
  }

  finish(): void {
    // pcapng needs no trailer; a file without packets is a valid SHB alone.
  }

  private writeSectionHeader(): void {
    const { out } = this;
    out.reserve(SHB_BYTES);
    const at = out.used;
    const view = out.view;
    view.setUint32(at, PCAPNG_SHB_TYPE, true);
    view.setUint32(at + 4, SHB_BYTES, true);
    view.setUint32(at + 8, 0x1a2b3c4d, true);
    view.setUint16(at + 12, 1, true);
    view.setUint16(at + 14, 0, true);
    view.setInt32(at + 16, -1, true); // section length unknown (-1 as a 64-bit value)
    view.setInt32(at + 20, -1, true);
    view.setUint32(at + 24, SHB_BYTES, true);
    out.used = at + SHB_BYTES;
  }

  private writeInterface(record: PacketRecord): void {
    const known = this.interfaces[record.interfaceId];
    const source = known !== undefined && known.linkType === record.linkType ? known : undefined;
    const name = source?.name !== undefined ? optionValue(source.name) : null;
    const description = source?.description !== undefined ? optionValue(source.description) : null;
    const optionBytes = optionSize(name) + optionSize(description) + 8 + 4;
    const length = 20 + optionBytes;
    const { out } = this;
    out.reserve(length);
    const view = out.view;
    const at = out.used;
    view.setUint32(at, BLOCK_IDB, true);
    view.setUint32(at + 4, length, true);
    view.setUint16(at + 8, record.linkType, true);
    view.setUint16(at + 10, 0, true);
    view.setUint32(at + 12, source?.snaplen ?? this.snaplen, true);
    let p = at + 16;
    if (name) p = this.putOption(p, IF_NAME, name);
    if (description) p = this.putOption(p, IF_DESCRIPTION, description);
    view.setUint32(p + 4, 0, true); // value byte + padding
    view.setUint16(p, IF_TSRESOL, true);
    view.setUint16(p + 2, 1, true);
    view.setUint8(p + 4, NANOSECOND_RESOLUTION);
    view.setUint32(p + 8, 0, true); // opt_endofopt
    view.setUint32(p + 12, length, true);
    out.used = at + length;
  }

  private writePacket(record: PacketRecord, outId: number): void {
    const { out } = this;
    const caplen = record.data.length;
    const comments = record.comments?.map(optionValue);
    let optionBytes = record.flags !== undefined ? 8 : 0;
    if (comments) for (const c of comments) optionBytes += optionSize(c);
    if (optionBytes > 0) optionBytes += 4;
    const length = EPB_FIXED_BYTES + padded(caplen) + optionBytes;
    out.reserve(length);
    const view = out.view;
    const at = out.used;
    nsToUnits(record.tsSec, record.tsNsec, this.ts);
    view.setUint32(at, BLOCK_EPB, true);
    view.setUint32(at + 4, length, true);
    view.setUint32(at + 8, outId, true);
    view.setUint32(at + 12, this.ts.hi, true);
    view.setUint32(at + 16, this.ts.lo, true);
    view.setUint32(at + 20, caplen, true);
    view.setUint32(at + 24, record.origLen, true);
    out.bytes.set(record.data, at + 28);
    let p = at + 28 + caplen;
    const dataEnd = at + 28 + padded(caplen);
    while (p < dataEnd) out.bytes[p++] = 0;
    if (optionBytes > 0) p = this.writePacketOptions(p, comments, record.flags);
    view.setUint32(p, length, true);
    out.used = at + length;
  }

  private writePacketOptions(
    p: number,
    comments: Uint8Array[] | undefined,
    flags: number | undefined,
  ): number {
    if (comments) for (const c of comments) p = this.putOption(p, OPT_COMMENT, c);
    const view = this.out.view;
    if (flags !== undefined) {
      view.setUint16(p, OPT_EPB_FLAGS, true);
      view.setUint16(p + 2, 4, true);
      view.setUint32(p + 4, flags, true);
      p += 8;
    }
    view.setUint32(p, 0, true);
    return p + 4;
  }

  /** Writes code, length, value and zero padding; returns the position after it. */
  private putOption(p: number, code: number, value: Uint8Array): number {
    const { view, bytes } = this.out;
    view.setUint16(p, code, true);
    view.setUint16(p + 2, value.length, true);
    bytes.set(value, p + 4);
    const end = p + 4 + padded(value.length);
    bytes.fill(0, p + 4 + value.length, end);
    return end;
  }
}

function optionSize(value: Uint8Array | null): number {
  return value === null ? 0 : 4 + padded(value.length);
}
