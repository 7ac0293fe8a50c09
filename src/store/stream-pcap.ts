import { statSync, truncateSync, unlinkSync } from 'node:fs';
import { openCapture } from '../pcap/index.js';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US } from '../pcap/parser.js';
import { CAPTURE_ERROR_CODES } from '../pcap/codes.js';
import type { PacketRecord } from '../pcap/record.js';

export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

/** The header fields of one stream file, fixed by its first packet. */
export interface StreamFileFormat {
  linkType: number;
  snaplen: number;
  nanosecond: boolean;
}

/** The parts of a captured record a stream file keeps. */
export type StoredRecord = Pick<PacketRecord, 'data' | 'origLen' | 'tsSec' | 'tsNsec'>;

/** A record waiting to be written, with its place in capture order and the interface it came from. */
export type QueuedRecord = Pick<
  PacketRecord,
  'data' | 'origLen' | 'tsSec' | 'tsNsec' | 'linkType' | 'interfaceId'
> & {
  seq: number;
};

/**
 * One reusable buffer in which the records of one stream for one vector are laid out as
 * little-endian libpcap bytes, so they reach the file in a single write of whole records.
 */
export class StagingBuffer {
  bytes = new Uint8Array(64 << 10);
  view = new DataView(this.bytes.buffer);
  used = 0;

  reset(): void {
    this.used = 0;
  }

  private reserve(count: number): void {
    if (this.used + count <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + count));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  fileHeader(fmt: StreamFileFormat): void {
    this.reserve(PCAP_FILE_HEADER_BYTES);
    const v = this.view;
    const at = this.used;
    v.setUint32(at, fmt.nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    v.setUint16(at + 4, 2, true);
    v.setUint16(at + 6, 4, true);
    v.setUint32(at + 8, 0, true); // thiszone
    v.setUint32(at + 12, 0, true); // sigfigs
    v.setUint32(at + 16, fmt.snaplen, true);
    v.setUint32(at + 20, fmt.linkType, true);
    this.used = at + PCAP_FILE_HEADER_BYTES;
  }

  record(rec: StoredRecord, nanosecond: boolean): void {
    const caplen = rec.data.length;
    this.reserve(PCAP_RECORD_HEADER_BYTES + caplen);
    const v = this.view;
    const at = this.used;
    v.setUint32(at, rec.tsSec, true);
    v.setUint32(at + 4, nanosecond ? rec.tsNsec : Math.floor(rec.tsNsec / 1000), true);
    v.setUint32(at + 8, caplen, true);
    v.setUint32(at + 12, rec.origLen, true);
    this.bytes.set(rec.data, at + PCAP_RECORD_HEADER_BYTES);
    this.used = at + PCAP_RECORD_HEADER_BYTES + caplen;
  }
}

/** What a stream file holds, read back with meshtap's own reader. */
export interface StreamFileContents {
  /** Complete records. */
  records: number;
  /** Their captured bytes. */
  capturedBytes: number;
  firstTsUs: number | null;
  lastTsUs: number | null;
  /** Bytes up to the end of the last complete record (0 when even the file header is incomplete). */
  validBytes: number;
  fileBytes: number;
  /** The reader's error code, if the file did not end cleanly. */
  errorCode: string | null;
  /** Bytes repairStreamFile cut off the end (a torn record). */
  cutBytes: number;
}

/** Reads a stream file through; a crash leaves at most a torn last record, which is reported, not fatal. */
export async function inspectStreamFile(path: string): Promise<StreamFileContents | null> {
  let fileBytes: number;
  try {
    fileBytes = statSync(path).size;
  } catch {
    return null;
  }
  const reader = await openCapture(path);
  const out: StreamFileContents = {
    records: 0,
    capturedBytes: 0,
    firstTsUs: null,
    lastTsUs: null,
    validBytes: 0,
    fileBytes,
    errorCode: null,
    cutBytes: 0,
  };
  for await (const batch of reader.batches()) {
    for (const rec of batch) {
      const tsUs = rec.tsSec * 1e6 + Math.floor(rec.tsNsec / 1000);
      out.firstTsUs ??= tsUs;
      out.lastTsUs = tsUs;
      out.records++;
      out.capturedBytes += rec.data.length;
    }
  }
  const err = reader.error;
  out.errorCode = err?.code ?? null;
  if (err === null) out.validBytes = fileBytes;
  else if (err.code === CAPTURE_ERROR_CODES.PCAP_TRUNCATED_RECORD) out.validBytes = err.offset;
  return out;
}

/**
 * Cuts a torn last record off (a crash mid-write), so the file ends cleanly again; a file
 * without even a whole header is removed. Returns what the file holds afterwards (null: no file).
 */
export async function repairStreamFile(path: string): Promise<StreamFileContents | null> {
  const found = await inspectStreamFile(path);
  if (found === null || found.validBytes === found.fileBytes) return found;
  if (found.validBytes < PCAP_FILE_HEADER_BYTES) {
    unlinkSync(path);
    return null;
  }
  truncateSync(path, found.validBytes);
  return {
    ...found,
    fileBytes: found.validBytes,
    errorCode: null,
    cutBytes: found.fileBytes - found.validBytes,
  };
}
