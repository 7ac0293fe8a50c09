import type { FlowList, ListNode } from './flow-list.js';

export type FlowEndReason = 'fin' | 'rst' | 'idle' | 'evicted' | 'eof';

/** open: data may flow both ways; closing: one side sent FIN; closed: both FINs or a RST (lingering). */
export type FlowState = 'open' | 'closing' | 'closed';

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/**
 * One bidirectional stream. Direction 0 is the client (initiator), 1 the server. Addresses
 * are copies made once when the flow is created, so they outlive the packet buffer. `value`
 * is the user's per-stream state (typically a reassembler with its dissector).
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

  constructor(
    readonly id: number,
    readonly hash: number,
    readonly ipVersion: 4 | 6,
    readonly proto: number,
    readonly clientAddr: Uint8Array,
    readonly clientPort: number,
    readonly serverAddr: Uint8Array,
    readonly serverPort: number,
    readonly firstTsUs: number,
  ) {
    this.lastTsUs = firstTsUs;
  }
}
