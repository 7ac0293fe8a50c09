import { DynamicTable } from './dynamic-table.js';
import { huffmanDecode, maxHuffmanDecodedLength } from './huffman.js';

export interface HeaderField {
  name: string;
  value: string;
}

/** RFC 7540 §6.5.2 default SETTINGS_HEADER_TABLE_SIZE. */
export const DEFAULT_HEADER_TABLE_SIZE = 4096;

/**
 * Outcome of one header block:
 * - complete: every field decoded;
 * - undecodable: a reference pointed at dynamic-table state we never saw (capture started
 *   mid-connection, or after a gap); the fields we could resolve are listed, the others are not;
 * - malformed: the block breaks RFC 7541 (bad integer, string past the end, bad Huffman, index 0);
 *   the table is then unreliable and is cleared.
 */
export type HpackStatus = 'complete' | 'undecodable' | 'malformed';

export interface HpackLimits {
  /** Memory cap on the dynamic table, whatever the peer announces. */
  maxTableSize: number;
  /** Cap on the decoded header list (name + value octets + 32 each, as SETTINGS_MAX_HEADER_LIST_SIZE counts). */
  maxHeaderListSize: number;
}

export interface HpackResult {
  status: HpackStatus;
  /** The decoded list hit maxHeaderListSize; later fields were dropped (table updates still applied). */
  listTruncated: boolean;
  /** Stable anomaly name for a malformed block or a questionable size update, else null. */
  anomaly: string | null;
}

const MAX_INTEGER = 0x7fffffff;
const UTF8 = new TextDecoder('utf-8');

/** What a decoder points at between blocks: holding on to the last block would keep its whole reassembled buffer alive. */
const NO_BLOCK = new Uint8Array(0);
/**
 * Huffman output, shared by every decoder: decoding is synchronous and each string is copied
 * out before the next, and a connection holds two decoders for as long as it lives.
 */
let huffmanScratch = new Uint8Array(256);

/**
 * One direction's HPACK decoding context (RFC 7541 §3). `synced` is true when we have seen the
 * table from the connection's start; otherwise references beyond the entries we inserted
 * ourselves are "undecodable" rather than an error: entries we saw inserted keep correct indices
 * because HPACK indexes from the newest entry.
 */
export class HpackDecoder {
  readonly table: DynamicTable;
  private settingsLimit = DEFAULT_HEADER_TABLE_SIZE;
  private synced: boolean;
  private src: Uint8Array = NO_BLOCK;
  private pos = 0;
  private end = 0;
  private lastOctets = 0;
  private listSize = 0;
  private result: HpackResult = { status: 'complete', listTruncated: false, anomaly: null };

  constructor(
    private readonly limits: HpackLimits,
    synced: boolean,
  ) {
    this.table = new DynamicTable(DEFAULT_HEADER_TABLE_SIZE, limits.maxTableSize);
    this.synced = synced;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** The decoder's peer announced SETTINGS_HEADER_TABLE_SIZE: the bound for the encoder's size updates. */
  setSettingsLimit(size: number): void {
    this.settingsLimit = size;
  }

  /** Bytes of this direction were lost (gap, oversized or malformed block): forget the table. */
  lose(): void {
    this.table.clear();
    this.synced = false;
  }

  /** Decodes one complete header block, appending fields to `out`. */
  decode(block: Uint8Array, start: number, end: number, out: HeaderField[]): HpackResult {
    this.src = block;
    this.pos = start;
    this.end = end;
    this.listSize = 0;
    this.result = { status: 'complete', listTruncated: false, anomaly: null };
    while (this.pos < this.end && this.result.status !== 'malformed') this.representation(out);
    if (this.result.status === 'malformed') this.lose();
    this.src = NO_BLOCK;
    return this.result;
  }

  private representation(out: HeaderField[]): void {
    const b = this.src[this.pos];
    if (b & 0x80) this.indexed(out);
    else if (b & 0x40) this.literal(out, 6, true);
    else if (b & 0x20) this.sizeUpdate();
    else this.literal(out, 4, false);
  }

  private indexed(out: HeaderField[]): void {
    const index = this.integer(7);
    if (index <= 0) return this.malformed(index === 0 ? 'http2.hpack_index_zero' : 'http2.hpack_bad_integer');
    const name = this.table.name(index);
    if (name === undefined || name === null) return this.unresolved();
    this.emit(out, name, this.table.value(index));
  }

  private literal(out: HeaderField[], prefixBits: number, indexing: boolean): void {
    const nameIndex = this.integer(prefixBits);
    if (nameIndex < 0) return this.malformed('http2.hpack_bad_integer');
    let name: string | null | undefined;
    let nameOctets: number;
    if (nameIndex === 0) {
      name = this.string();
      nameOctets = this.lastOctets;
    } else {
      name = this.table.name(nameIndex);
      nameOctets = name === undefined || name === null ? 0 : this.table.nameLength(nameIndex);
    }
    if (name === undefined && nameIndex === 0) return;
    const value = this.string();
    if (value === undefined) return;
    if (name === undefined || name === null) {
      this.unresolved();
      if (indexing) this.table.add(null, nameOctets, value, this.lastOctets);
      return;
    }
    if (indexing) this.table.add(name, nameOctets, value, this.lastOctets);
    this.emit(out, name, value);
  }

  private sizeUpdate(): void {
    const size = this.integer(5);
    if (size < 0) return this.malformed('http2.hpack_bad_integer');
    if (size > this.settingsLimit) this.result.anomaly = 'http2.hpack_size_update_over_limit';
    this.table.setMaxSize(size);
  }

  private unresolved(): void {
    if (this.synced && this.result.anomaly === null) this.result.anomaly = 'http2.hpack_index_out_of_range';
    this.result.status = 'undecodable';
  }

  private malformed(anomaly: string): void {
    this.result.status = 'malformed';
    this.result.anomaly = anomaly;
  }

  private emit(out: HeaderField[], name: string, value: string): void {
    this.listSize += name.length + value.length + 32;
    if (this.listSize > this.limits.maxHeaderListSize) {
      this.result.listTruncated = true;
      return;
    }
    out.push({ name, value });
  }

  /** RFC 7541 §5.1 prefixed integer; -1 when truncated or beyond 2^31 - 1. */
  private integer(prefixBits: number): number {
    const mask = (1 << prefixBits) - 1;
    let value = this.src[this.pos++] & mask;
    if (value < mask) return value;
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.pos >= this.end) return -1;
      const b = this.src[this.pos++];
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value <= MAX_INTEGER ? value : -1;
    }
    return -1;
  }

  /** RFC 7541 §5.2 string literal; sets lastOctets; undefined (and malformed) on error. */
  private string(): string | undefined {
    if (this.pos >= this.end) return this.malformedString('http2.hpack_truncated');
    const huffman = (this.src[this.pos] & 0x80) !== 0;
    const length = this.integer(7);
    if (length < 0) return this.malformedString('http2.hpack_bad_integer');
    const start = this.pos;
    if (length > this.end - start) return this.malformedString('http2.hpack_truncated');
    this.pos += length;
    if (!huffman) {
      this.lastOctets = length;
      return UTF8.decode(this.src.subarray(start, start + length));
    }
    const room = maxHuffmanDecodedLength(length);
    if (huffmanScratch.length < room)
      huffmanScratch = new Uint8Array(Math.max(room, huffmanScratch.length * 2));
    const decoded = huffmanDecode(this.src, start, start + length, huffmanScratch, 0);
    if (decoded < 0) return this.malformedString('http2.hpack_bad_huffman');
    this.lastOctets = decoded;
    return UTF8.decode(huffmanScratch.subarray(0, decoded));
  }

  private malformedString(anomaly: string): undefined {
    this.malformed(anomaly);
    return undefined;
  }
}
