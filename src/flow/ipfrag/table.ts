import { Datagram } from './datagram.js';

/**
 * Datagrams under reassembly, found by their RFC 791 / RFC 8200 key through a hash chain, and
 * kept in one oldest-first list. A datagram's timeout runs from its first fragment, so creation
 * order is also expiry order and eviction order: both only ever look at the head.
 */
export class DatagramTable {
  private readonly buckets = new Map<number, Datagram>();
  private head: Datagram | null = null;
  private tail: Datagram | null = null;
  count = 0;
  bytes = 0;

  get oldest(): Datagram | null {
    return this.head;
  }

  findIpv4(hash: number, src: number, dst: number, id: number, protocol: number): Datagram | null {
    for (let d = this.buckets.get(hash) ?? null; d !== null; d = d.nextInBucket) {
      if (d.src6 === null && d.src4 === src && d.dst4 === dst && d.id === id && d.protocol === protocol)
        return d;
    }
    return null;
  }

  findIpv6(hash: number, src: Uint8Array, dst: Uint8Array, id: number): Datagram | null {
    for (let d = this.buckets.get(hash) ?? null; d !== null; d = d.nextInBucket) {
      if (d.src6 !== null && d.id === id && sameBytes(d.src6, src) && sameBytes(d.dst6!, dst)) return d;
    }
    return null;
  }

  insert(d: Datagram): void {
    d.nextInBucket = this.buckets.get(d.hash) ?? null;
    this.buckets.set(d.hash, d);
    d.older = this.tail;
    if (this.tail === null) this.head = d;
    else this.tail.newer = d;
    this.tail = d;
    this.count++;
    this.bytes += d.bytes;
  }

  remove(d: Datagram): void {
    this.unlinkBucket(d);
    if (d.older === null) this.head = d.newer;
    else d.older.newer = d.newer;
    if (d.newer === null) this.tail = d.older;
    else d.newer.older = d.older;
    d.older = d.newer = d.nextInBucket = null;
    this.count--;
    this.bytes -= d.bytes;
  }

  private unlinkBucket(d: Datagram): void {
    let prev: Datagram | null = null;
    for (let cur = this.buckets.get(d.hash) ?? null; cur !== null; prev = cur, cur = cur.nextInBucket) {
      if (cur !== d) continue;
      if (prev !== null) prev.nextInBucket = d.nextInBucket;
      else if (d.nextInBucket !== null) this.buckets.set(d.hash, d.nextInBucket);
      else this.buckets.delete(d.hash);
      return;
    }
  }
}

export function hashIpv4(src: number, dst: number, id: number, protocol: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ dst ^ (h >>> 15), 0xc2b2ae35);
  return (h ^ ((id << 8) | protocol) ^ (h >>> 13)) >>> 0;
}

export function hashIpv6(src: Uint8Array, dst: Uint8Array, id: number): number {
  let h = id ^ 0x6a09e667;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ src[i], 0x01000193);
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ dst[i], 0x01000193);
  return (h ^ (h >>> 16)) >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
