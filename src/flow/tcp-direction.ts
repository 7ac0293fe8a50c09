/**
 * The state of one direction of a TCP stream. Positions are kept as absolute stream offsets
 * (JS numbers, no 32-bit limit): `delivered` is the offset of the next byte the sink expects,
 * and `nextSeq` is the 32-bit sequence number that offset has. Any sequence number is turned
 * into an offset by the signed 32-bit difference to `nextSeq`, which is what makes
 * wrap-around (ISN near 2^32) and streams longer than 4 GiB work without special cases.
 */
export class PendingSegment {
  constructor(
    /** Absolute stream offset of bytes[0]. */
    readonly start: number,
    /** A copy: the packet buffer does not outlive the packet. */
    readonly bytes: Uint8Array,
  ) {}

  get end(): number {
    return this.start + this.bytes.length;
  }
}

export class TcpDirection {
  started = false;
  /** Started without a SYN: the stream was picked up mid-connection. */
  pickedUp = false;
  nextSeq = 0;
  delivered = 0;
  /** Offset of the FIN (the first offset that carries no data), or -1 before a FIN is seen. */
  finOffset = -1;
  /** Out-of-order segments, sorted by start, never overlapping each other. */
  readonly pending: PendingSegment[] = [];
  pendingBytes = 0;

  start(seq: number, pickedUp: boolean): void {
    this.started = true;
    this.pickedUp = pickedUp;
    this.nextSeq = seq >>> 0;
  }

  /** Picked up mid-stream and nothing delivered, held or closed yet: its start may still move. */
  get startMovable(): boolean {
    return this.pickedUp && this.delivered === 0 && this.pending.length === 0 && this.finOffset < 0;
  }

  offsetOf(seq: number): number {
    return this.delivered + ((seq - this.nextSeq) | 0);
  }

  advance(n: number): void {
    this.delivered += n;
    this.nextSeq = (this.nextSeq + n) >>> 0;
  }

  /** Index of the first pending segment that ends after `offset`. */
  firstEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pending[mid].end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** True when the two byte ranges disagree somewhere they overlap (first-seen data is kept either way). */
export function overlapDiffers(aStart: number, a: Uint8Array, bStart: number, b: Uint8Array): boolean {
  const from = Math.max(aStart, bStart);
  const to = Math.min(aStart + a.length, bStart + b.length);
  for (let off = from; off < to; off++) {
    if (a[off - aStart] !== b[off - bStart]) return true;
  }
  return false;
}
