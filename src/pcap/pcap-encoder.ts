import { MeshtapError } from '../util/errors.js';
import { CAPTURE_ERROR_CODES as E } from './codes.js';
import type { CaptureOutput } from './output-buffer.js';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US } from './parser.js';
import type { FramedRecord, PacketRecord } from './record.js';

const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/** Encodes records as a little-endian libpcap file with one link type. */
export class PcapEncoder {
  private linkType: number;
  private headerWritten = false;

  constructor(
    private readonly out: CaptureOutput,
    private readonly snaplen: number,
    private readonly nanosecond: boolean,
    linkType: number | undefined,
  ) {
    this.linkType = linkType ?? -1;
  }

  write(record: PacketRecord): void {
    this.admit(record);
    const out = this.out;
    const caplen = record.data.length;
    out.reserve(RECORD_HEADER_BYTES + caplen);
    const view = out.view;
    const at = out.used;
    view.setUint32(at, record.tsSec, true);
    view.setUint32(at + 4, this.nanosecond ? record.tsNsec : Math.floor(record.tsNsec / 1000), true);
    view.setUint32(at + 8, caplen, true);
    view.setUint32(at + 12, record.origLen, true);
    out.bytes.set(record.data, at + RECORD_HEADER_BYTES);
    out.used = at + RECORD_HEADER_BYTES + caplen;
  }

  /**
   * Writes the first `count` records. A run of records that lie back to back in one reader
   * buffer with headers already in this file's encoding (FramedRecord.rawHeader) is copied
   * in one piece: rewriting a little-endian pcap then costs one copy per vector, not a view,
   * a copy and four header fields per packet. Anything else is encoded record by record.
   */
  writeVector(records: readonly (FramedRecord | undefined)[], count: number): void {
    const layout = this.nanosecond ? 1_000_000_000 : 1_000_000;
    let run: Uint8Array | null = null;
    let runStart = 0;
    let runEnd = 0;
    try {
      for (let i = 0; i < count; i++) {
        const r = records[i]!;
        if (r.rawHeader !== layout) {
          if (run !== null) this.copyRun(run, runStart, runEnd);
          run = null;
          this.write(r);
          continue;
        }
        this.admit(r);
        const start = r.offset - RECORD_HEADER_BYTES;
        if (r.bytes !== run || start !== runEnd) {
          if (run !== null) this.copyRun(run, runStart, runEnd);
          run = r.bytes;
          runStart = start;
        }
        runEnd = r.offset + r.caplen;
      }
    } finally {
      // Also when admit() refuses a record: the run before it is written, as write() one by one would have.
      if (run !== null) this.copyRun(run, runStart, runEnd);
    }
  }

  /** An empty capture still gets its header (link type 1 when no record named one). */
  finish(): void {
    if (this.linkType < 0) this.linkType = 1;
    this.writeHeaderOnce();
  }

  /** Takes the first record's link type, refuses any other, and writes the file header once. */
  private admit(record: PacketRecord): void {
    if (this.linkType < 0) this.linkType = record.linkType;
    if (record.linkType !== this.linkType) {
      throw new MeshtapError(
        E.PCAP_WRITER_LINKTYPE_MISMATCH,
        `pcap holds one link type (${this.linkType}); record has ${record.linkType}: write pcapng instead`,
        { expected: this.linkType, got: record.linkType },
      );
    }
    this.writeHeaderOnce();
  }

  private copyRun(bytes: Uint8Array, start: number, end: number): void {
    const out = this.out;
    out.reserve(end - start);
    out.bytes.set(bytes.subarray(start, end), out.used);
    out.used += end - start;
  }

  private writeHeaderOnce(): void {
    if (this.headerWritten) return;
    this.headerWritten = true;
    const out = this.out;
    out.reserve(FILE_HEADER_BYTES);
    const view = out.view;
    const at = out.used;
    view.setUint32(at, this.nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    view.setUint16(at + 4, 2, true);
    view.setUint16(at + 6, 4, true);
    view.setUint32(at + 8, 0, true); // thiszone
    view.setUint32(at + 12, 0, true); // sigfigs
    view.setUint32(at + 16, this.snaplen, true);
    view.setUint32(at + 20, this.linkType, true);
    out.used = at + FILE_HEADER_BYTES;
  }
}
