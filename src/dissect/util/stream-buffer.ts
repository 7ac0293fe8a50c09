import type { ByteMeter } from '../types.js';

const EMPTY = new Uint8Array(0);

/**
 * The unconsumed tail of one direction of a byte stream. Parsers look at `view(bytes)`
 * (the kept tail followed by the new bytes), consume what they can and `keep` the rest.
 * When nothing is pending the new bytes are parsed in place, so the common case of whole
 * messages per segment copies nothing. What is kept is declared to the stream's meter.
 */
export class StreamBuffer {
  private pending: Uint8Array = EMPTY;

  constructor(private readonly meter: ByteMeter) {}

  get size(): number {
    return this.pending.length;
  }

  /** The kept bytes followed by `bytes`; valid until the next call. */
  view(bytes: Uint8Array): Uint8Array {
    if (this.pending.length === 0) return bytes;
    if (bytes.length === 0) return this.pending;
    const joined = new Uint8Array(this.pending.length + bytes.length);
    joined.set(this.pending, 0);
    joined.set(bytes, this.pending.length);
    return joined;
  }

  /** Copy `view[from..]` for the next call (the caller's `view` may be the caller's transient input). */
  keep(view: Uint8Array, from: number): void {
    const before = this.pending.length;
    this.pending = from >= view.length ? EMPTY : view.slice(from);
    if (this.pending.length !== before) this.meter.hold(this.pending.length - before);
  }

  clear(): void {
    if (this.pending.length > 0) this.meter.hold(-this.pending.length);
    this.pending = EMPTY;
  }
}
