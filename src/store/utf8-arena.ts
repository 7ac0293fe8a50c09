/** Texts up to a third of this (UTF-8 takes at most 3 bytes per UTF-16 unit) share chunks of it. */
const CHUNK_BYTES = 1 << 20;
/** What reset() keeps: an ingest's 2,000-entry commit holds ~8 MiB of JSON. */
const KEPT_CHUNKS = 16;

/**
 * Texts encoded as UTF-8 into reusable chunks outside the JS heap, each handed out as a view
 * that stays valid until reset(). For text that must wait a while to be written somewhere
 * (entries waiting for their transaction): held as strings, every young-generation
 * collection would copy them again and the old generation would fill with them.
 */
export class Utf8Arena {
  private readonly chunks: Buffer[] = [];
  private current = 0;
  private used = 0;

  /** The UTF-8 bytes of `text`; overwritten after reset(). */
  add(text: string): Buffer {
    const most = text.length * 3;
    if (most > CHUNK_BYTES) return Buffer.from(text, 'utf8');
    let chunk = this.chunks[this.current];
    if (chunk !== undefined && this.used + most > CHUNK_BYTES) {
      this.current++;
      this.used = 0;
      chunk = this.chunks[this.current];
    }
    if (chunk === undefined) {
      chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.chunks.push(chunk);
    }
    const start = this.used;
    this.used += chunk.write(text, start, 'utf8');
    return chunk.subarray(start, this.used);
  }

  /**
   * Every view handed out so far may now be overwritten. Up to KEPT_CHUNKS chunks are kept
   * for reuse: one batch of huge entries must not hold its peak for the rest of the run.
   */
  reset(): void {
    if (this.chunks.length > KEPT_CHUNKS) this.chunks.length = KEPT_CHUNKS;
    this.current = 0;
    this.used = 0;
  }
}
