import { newFragmentWins } from './policy.js';
import type { OverlapPolicy } from './types.js';

/** Bytes charged per datagram for its object and key, so that many tiny datagrams cost memory too. */
const FIXED_OVERHEAD_BYTES = 128;
const BLOCK = 8;
/** First buffer size: most fragmented datagrams are a few MTUs long. */
const MIN_CAPACITY = 2048;
const MIN_EXTENT_SLOTS = 16;

/** placed: only holes filled; overlapped: some held bytes differed (policy applied). */
export type PlaceOutcome = 'placed' | 'overlapped' | 'duplicate' | 'conflict';

/**
 * One datagram under reassembly. Fragment offsets are multiples of 8 and every fragment but the
 * last is a multiple of 8 long, so ownership is tracked per 8-byte block: `owner[b]` is 1 + the
 * index of the fragment whose bytes block b holds (0 = hole), and `extents` keeps every accepted
 * fragment's original [start, end) for the overlap policy. Only the final block can be partial,
 * and only last fragments (which must all agree on the total) reach it.
 */
export class Datagram {
  /** IPv4: protocol number; IPv6: -1. Part of the key. */
  readonly protocol: number;
  readonly src4: number;
  readonly dst4: number;
  readonly src6: Uint8Array | null;
  readonly dst6: Uint8Array | null;
  readonly id: number;
  readonly hash: number;
  readonly createdUs: number;

  /** Links of the table's oldest-first list and of its hash chain. */
  older: Datagram | null = null;
  newer: Datagram | null = null;
  nextInBucket: Datagram | null = null;

  data = new Uint8Array(0);
  owner = new Uint16Array(0);
  extents = new Int32Array(0);
  /** Accepted fragments (duplicates and overlaps included). */
  fragments = 0;
  /** Payload length once a last fragment has been seen, else -1. */
  total = -1;
  /** Highest end offset of any accepted fragment. */
  maxEnd = 0;
  coveredBlocks = 0;
  /** IPv4 header / IPv6 unfragmentable part of the fragment that owns offset 0, ready for output. */
  header: Uint8Array | null = null;
  /** Bytes charged against the global limit. */
  bytes = FIXED_OVERHEAD_BYTES;
  /** Set by place(): the new fragment now owns offset 0, so its header is the one to output. */
  wroteFirstBlock = false;

  constructor(
    hash: number,
    createdUs: number,
    protocol: number,
    src4: number,
    dst4: number,
    src6: Uint8Array | null,
    dst6: Uint8Array | null,
    id: number,
  ) {
    this.hash = hash;
    this.createdUs = createdUs;
    this.protocol = protocol;
    this.src4 = src4;
    this.dst4 = dst4;
    this.src6 = src6;
    this.dst6 = dst6;
    this.id = id;
  }

  isComplete(): boolean {
    return this.total >= 0 && this.coveredBlocks === Math.ceil(this.total / BLOCK);
  }

  /** Buffer size needed to hold data up to `end`, or 0 when the current one suffices. */
  capacityFor(end: number, limit: number): number {
    if (end <= this.data.length) return 0;
    const wanted = Math.max(end, this.data.length * 2, MIN_CAPACITY);
    const ceiling = this.total >= 0 ? this.total : limit;
    return roundUpToBlock(Math.max(end, Math.min(wanted, ceiling)));
  }

  /**
   * Upper bound of the bytes this datagram is charged once it has grown to `capacity`, taken
   * one more fragment and possibly a new header of `headerLength` bytes.
   */
  projectedBytes(capacity: number, headerLength: number): number {
    const data = Math.max(capacity, this.data.length);
    const header = Math.max(this.headerBytes(), headerLength);
    return FIXED_OVERHEAD_BYTES + data + (data / BLOCK) * 2 + this.extentBytesNeeded() + header;
  }

  grow(capacity: number): void {
    if (capacity > this.data.length) {
      const data = new Uint8Array(capacity);
      data.set(this.data);
      const owner = new Uint16Array(capacity / BLOCK);
      owner.set(this.owner);
      this.data = data;
      this.owner = owner;
    }
    if (this.extentBytesNeeded() > this.extents.byteLength) {
      const extents = new Int32Array(Math.max(MIN_EXTENT_SLOTS, this.extents.length * 2));
      extents.set(this.extents);
      this.extents = extents;
    }
    this.recount();
  }

  setHeader(header: Uint8Array): void {
    this.header = header;
    this.recount();
  }

  /**
   * Places a fragment's payload at `start` under `policy`. The caller has checked lengths and
   * grown the buffers; `wroteFirstBlock` tells it afterwards whether to take this fragment's header.
   */
  place(start: number, payload: Uint8Array, policy: OverlapPolicy): PlaceOutcome {
    const end = start + payload.length;
    this.wroteFirstBlock = false;
    const overlap = this.classifyOverlap(start, payload);
    if (overlap === 'duplicate') {
      this.fragments++;
      return 'duplicate';
    }
    if (overlap === 'overlap' && policy === 'rfc5722') return 'conflict';
    const index = this.fragments++;
    this.extents[index * 2] = start;
    this.extents[index * 2 + 1] = end;
    this.maxEnd = Math.max(this.maxEnd, end);
    if (overlap === 'none') {
      this.owner.fill(index + 1, start / BLOCK, Math.ceil(end / BLOCK));
      this.coveredBlocks += Math.ceil(end / BLOCK) - start / BLOCK;
      this.data.set(payload, start);
      this.wroteFirstBlock = start === 0;
    } else {
      this.placeOverlapping(index, start, payload, policy);
    }
    return overlap === 'none' ? 'placed' : 'overlapped';
  }

  /** Block by block: holes are filled, held blocks are taken over where the policy says so. */
  private placeOverlapping(index: number, start: number, payload: Uint8Array, policy: OverlapPolicy): void {
    const end = start + payload.length;
    for (let block = start / BLOCK; block * BLOCK < end; block++) {
      const current = this.owner[block];
      if (current !== 0) {
        const ownerStart = this.extents[(current - 1) * 2];
        const ownerEnd = this.extents[(current - 1) * 2 + 1];
        if (!newFragmentWins(policy, start, end, ownerStart, ownerEnd)) continue;
      } else {
        this.coveredBlocks++;
      }
      this.owner[block] = index + 1;
      const from = block * BLOCK;
      this.data.set(payload.subarray(from - start, Math.min(from + BLOCK, end) - start), from);
      if (block === 0) this.wroteFirstBlock = true;
    }
  }

  /** 'none', 'duplicate' (every byte already held, same values) or 'overlap'. */
  private classifyOverlap(start: number, payload: Uint8Array): 'none' | 'duplicate' | 'overlap' {
    const end = start + payload.length;
    let touched = false;
    let allHeldSame = true;
    for (let block = start / BLOCK; block * BLOCK < end; block++) {
      if (this.owner[block] === 0) {
        allHeldSame = false;
        continue;
      }
      touched = true;
      if (allHeldSame) allHeldSame = this.sameBytes(block, start, end, payload);
    }
    if (!touched) return 'none';
    return allHeldSame ? 'duplicate' : 'overlap';
  }

  /**
   * Whether the held bytes of `block` equal the payload's. A held partial block (the tail of the
   * last fragment) is as long as the payload's, since all last fragments share one end.
   */
  private sameBytes(block: number, start: number, end: number, payload: Uint8Array): boolean {
    const from = block * BLOCK;
    const to = Math.min(from + BLOCK, end);
    for (let i = from; i < to; i++) {
      if (this.data[i] !== payload[i - start]) return false;
    }
    return true;
  }

  private extentBytesNeeded(): number {
    const slots = (this.fragments + 1) * 2;
    if (slots <= this.extents.length) return this.extents.byteLength;
    return Math.max(MIN_EXTENT_SLOTS, this.extents.length * 2) * 4;
  }

  private headerBytes(): number {
    return this.header === null ? 0 : this.header.length;
  }

  private recount(): void {
    this.bytes =
      FIXED_OVERHEAD_BYTES +
      this.data.byteLength +
      this.owner.byteLength +
      this.extents.byteLength +
      this.headerBytes();
  }
}

function roundUpToBlock(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}
