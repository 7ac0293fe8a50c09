/** One length-prefixed gRPC message (gRPC over HTTP/2: 1-byte compressed flag, 4-byte length). */
export interface GrpcMessage {
  compressed: boolean;
  /** Declared length. */
  length: number;
  /** A copy of the message bytes, or null when longer than the kept limit. */
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
 */
export class GrpcMessageReader {
  readonly messages: GrpcMessage[] = [];
  /** Every message whose prefix was read, kept or not. */
  count = 0;
  private prefix = new Uint8Array(PREFIX);
  private havePrefix = 0;
  private current: GrpcMessage | null = null;
  private filled = 0;
  private lost = false;

  constructor(private readonly limits: GrpcMessageLimits) {}

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
    cur.data = null;
    this.filled += length;
    if (this.filled === cur.length) this.current = null;
  }

  /** The direction ended; a message cut short stays incomplete. True when the framing ended cleanly. */
  finish(): boolean {
    if (this.current !== null) {
      this.current.complete = false;
      this.current = null;
      return false;
    }
    return this.havePrefix === 0 && !this.lost;
  }

  private readPrefix(bytes: Uint8Array, pos: number): number {
    const take = Math.min(PREFIX - this.havePrefix, bytes.length - pos);
    this.prefix.set(bytes.subarray(pos, pos + take), this.havePrefix);
    this.havePrefix += take;
    if (this.havePrefix < PREFIX) return pos + take;
    this.havePrefix = 0;
    const p = this.prefix;
    const length = ((p[1] << 24) | (p[2] << 16) | (p[3] << 8) | p[4]) >>> 0;
    const keep = this.messages.length < this.limits.maxMessages && length <= this.limits.maxMessageBytes;
    const message: GrpcMessage = {
      compressed: (p[0] & 1) === 1,
      length,
      data: keep ? new Uint8Array(length) : null,
      complete: true,
    };
    this.count++;
    if (this.messages.length < this.limits.maxMessages) this.messages.push(message);
    this.filled = 0;
    this.current = length > 0 ? message : null;
    return pos + take;
  }

  private readBody(bytes: Uint8Array, pos: number): number {
    const cur = this.current as GrpcMessage;
    const take = Math.min(cur.length - this.filled, bytes.length - pos);
    cur.data?.set(bytes.subarray(pos, pos + take), this.filled);
    this.filled += take;
    if (this.filled === cur.length) this.current = null;
    return pos + take;
  }
}
