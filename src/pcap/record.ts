/**
 * The unit every capture source produces and every sink consumes: one captured frame
 * with its timing and the interface it came from. Readers hand these out in batches
 * (vectors); `data` is a view into the reader's buffer and stays valid only until the
 * next batch is requested, so a consumer that keeps a packet must copy it.
 */
export interface PacketRecord {
  /** Captured bytes (length = captured length). */
  data: Uint8Array;
  /** Length of the frame on the wire; larger than data.length when the snaplen cut it. */
  origLen: number;
  /** Whole seconds since the Unix epoch. */
  tsSec: number;
  /** Nanoseconds within the second, 0..999_999_999. */
  tsNsec: number;
  /** LINKTYPE_* of the interface that captured the frame. */
  linkType: number;
  /** Index into the reader's `interfaces` (pcapng interfaces numbered across sections); 0 for pcap. */
  interfaceId: number;
  /** pcapng `opt_comment` values, when the block had any. */
  comments?: string[];
  /** pcapng `epb_flags` (direction, reception type, FCS length), when present. */
  flags?: number;
}

/**
 * A record that also says where its bytes lie in the buffer it was read into, so a writer
 * can copy runs of records without touching them one by one.
 */
export interface FramedRecord extends PacketRecord {
  /** The frame is `bytes[offset .. offset + caplen)`. */
  bytes: Uint8Array;
  offset: number;
  caplen: number;
  /**
   * 1e6 or 1e9 when the 16 bytes before `offset` are this record's little-endian pcap header
   * with that many timestamp units per second, exactly as a writer would encode it; 0
   * otherwise. (A count, not the file's magic number: a field holding a number above 2^31
   * boxed it in a heap number for every record.)
   */
  rawHeader: number;
}

/** One capture interface as described by a pcap header or a pcapng IDB. */
export interface CaptureInterface {
  linkType: number;
  snaplen: number;
  /** Index of the pcapng section that declared it (0 for pcap). */
  section: number;
  name?: string;
  description?: string;
  /** Timestamp units per second (1e6 for microsecond pcap, 1e9 for nanosecond, if_tsresol for pcapng). */
  tsUnitsPerSecond: number;
  /** if_tsoffset in seconds (pcapng), 0 otherwise. */
  tsOffsetSec: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * A self-contained copy of a record: its own bytes and plain fields. Readers hand out
 * records whose bytes live in their buffer until the next batch; a consumer that keeps a
 * record past that (or compares records field by field) copies it with this.
 */
export function copyRecord(record: PacketRecord): PacketRecord {
  const copy: PacketRecord = {
    data: Uint8Array.from(record.data),
    origLen: record.origLen,
    tsSec: record.tsSec,
    tsNsec: record.tsNsec,
    linkType: record.linkType,
    interfaceId: record.interfaceId,
  };
  if (record.comments !== undefined) copy.comments = record.comments;
  if (record.flags !== undefined) copy.flags = record.flags;
  return copy;
}
