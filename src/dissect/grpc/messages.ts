import type { ByteMeter } from '../types.js';
import { joinPieces } from '../util/bytes.js';

/** One length-prefixed gRPC message (gRPC over HTTP/2: 1-byte compressed flag, 4-byte length). */
export interface GrpcMessage {
  compressed: boolean;
  /** Declared length. */
  length: number;
  /** A copy of the message bytes once all arrived; null while it fills, and when it is not kept (limits, gap). */
  data: Uint8Array | null;
  /** False when the stream ended (or a gap hit) before all `length` bytes arrived. */
  complete: boolean;
}

export interface GrpcMessageLimits {
  /** Messages kept per direction of a call; later ones are only counted. */
  maxMessages: number;
  /** Largest message copied for decoding. */
  maxMessageBytes: number;
}

const PREFIX = 5;

/**
 * Splits one direction of a gRPC call into messages. Message boundaries follow the 5-byte
 * prefixes, not DATA frames: a message may span frames and a frame may hold several messages.
 * A kept message is copied as its bytes arrive (a prefix alone never reserves its declared
 * length), and what is copied is declared to the stream's meter until `release`.
 */
export class GrpcMessageReader {
  readonly messages: GrpcMessage[] = [];
  /** Every message whose prefix was read, kept or not. */
  count = 0;
  /** The prefix read so far: its flag byte, and its length bytes as a number (no array per call: calls are many). */
  private prefixFlags = 0;
  private prefixLength = 0;
  private havePrefix = 0;
  private current: GrpcMessage | null = null;
  private filled = 0;
  private lost = false;
  /** Copies of the current message's bytes, when it is kept. */
  private pieces: Uint8Array[] | null = null;
  /** Bytes copied (messages and pieces), as declared to the meter. */
  private held = 0;

  constructor(
    private readonly limits: GrpcMessageLimits,
    private readonly meter: ByteMeter,
  ) {}

  push(bytes: Uint8Array): void {
    let pos = 0;
    while (pos < bytes.length && !this.lost) {
      pos = this.current === null ? this.readPrefix(bytes, pos) : this.readBody(bytes, pos);
    }
  }

  /** `length` bytes were not captured: stay in step if they fall inside the current message. */
  skip(length: number): void {
    const cur = this.current;
    if (cur === null || length > cur.length - this.filled) {
      this.lost = true;
      return;
    }
    cur.complete = false;
    this.dropPieces();
    this.filled += length;
    if (this.filled === cur.length) this.current = null;
  }

  /** The direction ended; a message cut short stays incomplete. True when the framing ended cleanly. */
  finish(): boolean {
    if (this.current !== null) {
      this.current.complete = false;
      this.current = null;
      this.dropPieces();
      return false;
    }
    return this.havePrefix === 0 && !this.lost;
  }

  /** The call is in its entry: the copies are no longer declared. */
  release(): void {
    if (this.held > 0) this.meter.hold(-this.held);
    this.held = 0;
    this.pieces = null;
  }

  private readPrefix(bytes: Uint8Array, pos: number): number {
    const end = Math.min(pos + PREFIX - this.havePrefix, bytes.length);
    for (let at = pos; at < end; at++, this.havePrefix++) {
      if (this.havePrefix === 0) this.prefixFlags = bytes[at];
      else this.prefixLength = this.prefixLength * 256 + bytes[at];
    }
    if (this.havePrefix < PREFIX) return end;
    const length = this.prefixLength;
    this.havePrefix = 0;
    this.prefixLength = 0;
    const keep = this.messages.length < this.limits.maxMessages && length <= this.limits.maxMessageBytes;
    const message: GrpcMessage = {
      compressed: (this.prefixFlags & 1) === 1,
      length,
      data: keep && length === 0 ? new Uint8Array(0) : null,
      complete: true,
    };
    this.count++;
    if (this.messages.length < this.limits.maxMessages) this.messages.push(message);
    this.filled = 0;
    this.current = length > 0 ? message : null;
    this.pieces = keep && length > 0 ? [] : null;
    return end;
  }

  private readBody(bytes: Uint8Array, pos: number): number {
    const cur = this.current as GrpcMessage;
    const take = Math.min(cur.length - this.filled, bytes.length - pos);
    if (this.pieces !== null) {
      this.pieces.push(bytes.slice(pos, pos + take));
      this.held += take;
      this.meter.hold(take);
    }
    this.filled += take;
    if (this.filled === cur.length) {
      if (this.pieces !== null) cur.data = joinPieces(this.pieces, cur.length);
      this.pieces = null;
      this.current = null;
    }
    return pos + take;
  }

  /** The current message will not be shown whole: its copies go. */
  private dropPieces(): void {
    if (this.pieces === null) return;
    // The pieces hold every byte of the current message read so far.
    this.meter.hold(-this.filled);
    this.held -= this.filled;
    this.pieces = null;
  }
}
