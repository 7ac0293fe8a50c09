/**
 * The flow table's index: flows by the hash of their key, in a power-of-two array of chains
 * linked through each flow's `bucketNext`. It replaced a Map from hash to first flow, whose
 * entries cost about 60 bytes a flow (entry slots, hash buckets, deleted entries kept until
 * the next rehash) and a builtin call on every lookup; a slot here costs 8 bytes and a lookup
 * is an array load. The array doubles when there are more flows than slots and is never
 * shrunk: its size stays bounded by the table's maxFlows (8 bytes each, twice at most).
 */

export interface Chained<F> {
  readonly hash: number;
  bucketNext: F | null;
}

const INITIAL_SLOTS = 1024;

export class FlowBuckets<F extends Chained<F>> {
  private slots: (F | null)[] = new Array<F | null>(INITIAL_SLOTS).fill(null);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;

  /** The first flow whose hash shares the slot of `hash` (the chain holds other hashes too). */
  first(hash: number): F | null {
    return this.slots[hash & this.mask];
  }

  add(flow: F): void {
    if (++this.count > this.slots.length) this.grow();
    const slot = flow.hash & this.mask;
    flow.bucketNext = this.slots[slot];
    this.slots[slot] = flow;
  }

  remove(flow: F): void {
    const slot = flow.hash & this.mask;
    let f = this.slots[slot];
    if (f === flow) this.slots[slot] = flow.bucketNext;
    else {
      while (f !== null && f.bucketNext !== flow) f = f.bucketNext;
      if (f === null) return; // not in the index
      f.bucketNext = flow.bucketNext;
    }
    flow.bucketNext = null;
    this.count--;
  }

  /** Twice the slots, each chain's flows relinked into the slot their hash now names. */
  private grow(): void {
    const old = this.slots;
    this.slots = new Array<F | null>(old.length * 2).fill(null);
    this.mask = this.slots.length - 1;
    for (let f of old) {
      while (f !== null) {
        const next = f.bucketNext;
        const slot = f.hash & this.mask;
        f.bucketNext = this.slots[slot];
        this.slots[slot] = f;
        f = next;
      }
    }
  }
}
