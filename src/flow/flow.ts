import type { FlowList, ListNode } from './flow-list.js';

export type FlowEndReason = 'fin' | 'rst' | 'idle' | 'evicted' | 'eof';

/** open: data may flow both ways; closing: one side sent FIN; closed: both FINs or a RST (lingering). */
export type FlowState = 'open' | 'closing' | 'closed';

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/**
 * One bidirectional stream. Direction 0 is the client (initiator), 1 the server. The
 * addresses are copied once, when the flow is created, into a slab shared with other flows
 * (see AddressSlab): the client's at `addrAt`, the server's right after it, so they outlive
 * the packet buffer without an object of their own. `value` is the user's per-stream state
 * (typically a reassembler with its dissector).
 */
export class Flow<T> implements ListNode<Flow<T>> {
  state: FlowState = 'open';
  /** Set when the flow closes: how it closed, reported when its linger time is over. */
  closeReason: 'fin' | 'rst' | null = null;
  /** Bit 0: client sent FIN, bit 1: server sent FIN. */
  finMask = 0;
  /** Table time (FlowTable.nowUs, packet time without absurd jumps) of the last activity. */
  lastTsUs: number;
  packets = 0;
  /** Out-of-order bytes the user's reassembler holds for this flow (see FlowTable.chargeBuffer). */
  bufferedBytes = 0;
  ended = false;
  value: T | undefined = undefined;
  prev: Flow<T> | null = null;
  next: Flow<T> | null = null;
  list: FlowList<Flow<T>> | null = null;
  /** The next flow in its slot of the table's index (see FlowBuckets). */
  bucketNext: Flow<T> | null = null;

  constructor(
    readonly id: number,
    readonly hash: number,
    readonly ipVersion: 4 | 6,
    readonly proto: number,
    readonly addrs: Uint8Array,
    readonly addrAt: number,
    readonly clientPort: number,
    readonly serverPort: number,
    // Not kept: a time is a boxed number of its own on the heap, and nothing asked for it.
    createdTsUs: number,
  ) {
    this.lastTsUs = createdTsUs;
  }

  get addrLength(): 4 | 16 {
    return this.ipVersion === 4 ? 4 : 16;
  }

  /** A new view of the client's address (for formatting; the table itself compares in place). */
  get clientAddr(): Uint8Array {
    return this.addrs.subarray(this.addrAt, this.addrAt + this.addrLength);
  }

  get serverAddr(): Uint8Array {
    const at = this.addrAt + this.addrLength;
    return this.addrs.subarray(at, at + this.addrLength);
  }
}
