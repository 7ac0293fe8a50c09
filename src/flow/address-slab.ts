/** Bytes per slab: 4,096 IPv6 or 16,384 IPv4 addresses. */
const SLAB_BYTES = 64 * 1024;

/**
 * Copies of flow addresses, packed into shared buffers. A copy made with slice() is an
 * ArrayBuffer of its own, with its backing store and bookkeeping outside the JS heap: about
 * 375 bytes per address where a view into a shared buffer is one small object, and every
 * flow keeps two. A slab lives as long as any flow holds one of its addresses.
 */
export class AddressSlab {
  private slab = new Uint8Array(SLAB_BYTES);
  private used = 0;

  copy(addr: Uint8Array): Uint8Array {
    const length = addr.length;
    if (this.used + length > SLAB_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    const at = this.used;
    this.slab.set(addr, at);
    this.used = at + length;
    return this.slab.subarray(at, at + length);
  }
}
