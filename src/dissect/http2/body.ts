/**
 * Collects the first `max` bytes of a message body (copied: input views are transient) and
 * counts the rest.
 */
export class BodyCollector {
  size = 0;
  private chunks: Uint8Array[] = [];
  private kept = 0;

  constructor(private max: number) {}

  get truncated(): boolean {
    return this.size > this.kept;
  }

  append(bytes: Uint8Array): void {
    this.size += bytes.length;
    const room = this.max - this.kept;
    if (room <= 0 || bytes.length === 0) return;
    const take = Math.min(room, bytes.length);
    this.chunks.push(bytes.slice(0, take));
    this.kept += take;
  }

  /** `length` bytes went missing (capture gap): counted, not kept. */
  skip(length: number): void {
    this.size += length;
    this.max = Math.min(this.max, this.kept);
  }

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0];
    return Buffer.concat(this.chunks, this.kept);
  }
}
