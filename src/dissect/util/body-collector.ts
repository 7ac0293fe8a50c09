import type { ByteMeter } from '../types.js';
import { joinPieces } from './bytes.js';

/**
 * Keeps copies of the first `limit` bytes of a message body (input views are transient) and
 * counts the rest. The copies are declared to the stream's meter until `release`, which
 * the dissector calls once the body is in an entry (or dropped). A collector that does not
 * `keep` (DissectLimits.bodyText off) counts alone: the same size and truncation, no copies.
 */
export class BodyCollector {
  /** Body bytes sent, kept or not, captured or not. */
  size = 0;
  private parts: Uint8Array[] = [];
  /** Bytes within the limit: copied (and declared to the meter) when keeping. */
  private kept = 0;

  constructor(
    private limit: number,
    private readonly meter: ByteMeter,
    readonly keep: boolean,
  ) {}

  /** Fewer than `size` bytes were kept (size limit, capture gap). */
  get truncated(): boolean {
    return this.kept < this.size;
  }

  add(bytes: Uint8Array): void {
    this.size += bytes.length;
    const room = this.limit - this.kept;
    if (room <= 0 || bytes.length === 0) return;
    const take = Math.min(room, bytes.length);
    this.kept += take;
    if (!this.keep) return;
    this.parts.push(bytes.slice(0, take));
    this.meter.hold(take);
  }

  /** `length` bytes were not captured: counted, and nothing after them is kept, so a body is never shown glued across a hole. */
  lost(length: number): void {
    this.size += length;
    this.limit = Math.min(this.limit, this.kept);
  }

  /** The kept bytes (only while keeping, before `release`). */
  bytes(): Buffer {
    return joinPieces(this.parts, this.kept);
  }

  /** The body is in its entry (or dropped): the copies go, and with them `bytes()`; the counts stay, and nothing more is kept. */
  release(): void {
    if (this.kept === 0) return;
    // While keeping, the copies not yet released are exactly the `kept` bytes.
    if (this.parts.length > 0) {
      this.meter.hold(-this.kept);
      this.parts = [];
    }
    this.limit = this.kept;
  }
}
