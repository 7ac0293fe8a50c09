/** Bytes per slab: 2,048 IPv6 or 8,192 IPv4 address pairs. */
const SLAB_BYTES = 64 * 1024;

/**
 * Copies of flow addresses, packed into shared buffers. A flow keeps the slab and the offset
 * of its address pair, not views: a view is an object of about 100 bytes, a slice() copy an
 * ArrayBuffer of its own with bookkeeping outside the JS heap (about 375 bytes), and a busy
 * capture holds hundreds of thousands of flows. A slab lives as long as any flow uses it.
 */
export class AddressSlab {
  private slab = new Uint8Array(SLAB_BYTES);
  private used = 0;

  /** The slab the last place() wrote to. */
  get buffer(): Uint8Array {
    return this.slab;
  }

  /** Copies `first` and then `second` (of the same length) next to each other; returns where `first` starts in `buffer`. */
  place(first: Uint8Array, second: Uint8Array): number {
    return this.placeAt(first, 0, second, 0, first.length);
  }

  /** place() of the `length` bytes at `firstAt` in `first` and at `secondAt` in `second`. */
  placeAt(first: Uint8Array, firstAt: number, second: Uint8Array, secondAt: number, length: number): number {
    if (this.used + 2 * length > SLAB_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const at = this.used;
    for (let i = 0; i < length; i++) {
      this.slab[at + i] = first[firstAt + i];
      this.slab[at + length + i] = second[secondAt + i];
    }
    this.used = at + 2 * length;
    return at;
  }
}
