import type { ByteMeter } from '../types.js';
import { joinPieces } from '../util/bytes.js';
import { Flag, FrameType } from './constants.js';
import type { FrameHeader } from './frame-reader.js';

/** A header block being assembled from HEADERS/PUSH_PROMISE + CONTINUATION frames (RFC 7540 §4.3). */
export interface PendingBlock {
  streamId: number;
  /** Stream a PUSH_PROMISE reserves, else 0. */
  promisedId: number;
  endStream: boolean;
  chunks: Uint8Array[];
  size: number;
  /** Larger than the header limit: dropped, and the HPACK context with it. */
  overflow: boolean;
  /** Bytes of copied fragments, declared to the stream's meter until the block is decoded or dropped. */
  held: number;
}

/** Where the header block fragment sits inside a HEADERS or PUSH_PROMISE payload, or null if the payload is too short. */
export function fragmentBounds(
  header: FrameHeader,
  payload: Uint8Array,
): { start: number; end: number; promisedId: number } | null {
  let start = 0;
  let end = payload.length;
  let promisedId = 0;
  if (header.flags & Flag.PADDED) {
    if (end < 1) return null;
    end -= payload[0];
    start = 1;
  }
  if (header.type === FrameType.HEADERS && header.flags & Flag.PRIORITY) start += 5;
  if (header.type === FrameType.PUSH_PROMISE) {
    if (start + 4 > end) return null;
    promisedId =
      ((payload[start] & 0x7f) << 24) |
      (payload[start + 1] << 16) |
      (payload[start + 2] << 8) |
      payload[start + 3];
    start += 4;
  }
  return start <= end ? { start, end, promisedId } : null;
}

export function newPendingBlock(header: FrameHeader, promisedId: number): PendingBlock {
  return {
    streamId: header.streamId,
    promisedId,
    endStream: header.type === FrameType.HEADERS && (header.flags & Flag.END_STREAM) !== 0,
    chunks: [],
    size: 0,
    overflow: false,
    held: 0,
  };
}

/** Appends a fragment (copied), or marks overflow past `max` bytes. */
export function appendFragment(
  block: PendingBlock,
  fragment: Uint8Array | null,
  max: number,
  meter: ByteMeter,
): void {
  if (fragment === null || block.size + fragment.length > max) {
    block.overflow = true;
    dropFragments(block, meter);
    return;
  }
  if (block.overflow) return;
  block.chunks.push(fragment.slice());
  block.size += fragment.length;
  block.held += fragment.length;
  meter.hold(fragment.length);
}

/** The block was decoded or abandoned: its copies go. */
export function dropFragments(block: PendingBlock, meter: ByteMeter): void {
  if (block.held > 0) meter.hold(-block.held);
  block.held = 0;
  block.chunks = [];
}

export function blockBytes(block: PendingBlock): Uint8Array {
  return joinPieces(block.chunks, block.size);
}
