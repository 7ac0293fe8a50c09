import type { PacketRecord } from '../pcap/index.js';

/** One input of a merge: its batch iterator and the record it is positioned on. */
export interface MergeCursor {
  batches: AsyncIterator<PacketRecord[]>;
  batch: PacketRecord[];
  index: number;
  /** The input's position in the list, which breaks timestamp ties so merges are stable. */
  order: number;
}

/** A binary min-heap of merge cursors ordered by their current record's timestamp. */
export class RecordHeap {
  private readonly items: MergeCursor[] = [];

  peek(): MergeCursor | undefined {
    return this.items[0];
  }

  push(cursor: MergeCursor): void {
    const items = this.items;
    items.push(cursor);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): MergeCursor | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const items = this.items;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < items.length && before(items[left], items[least])) least = left;
      if (right < items.length && before(items[right], items[least])) least = right;
      if (least === i) return;
      [items[i], items[least]] = [items[least], items[i]];
      i = least;
    }
  }
}

function before(a: MergeCursor, b: MergeCursor): boolean {
  const ra = a.batch[a.index];
  const rb = b.batch[b.index];
  if (ra.tsSec !== rb.tsSec) return ra.tsSec < rb.tsSec;
  if (ra.tsNsec !== rb.tsNsec) return ra.tsNsec < rb.tsNsec;
  return a.order < b.order;
}
