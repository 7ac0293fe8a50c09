/**
 * An intrusive doubly linked list of flows ordered by last activity (oldest at the head).
 * Moving a flow to the tail on every packet is O(1) and allocates nothing, which is what
 * keeps idle expiry and LRU eviction cheap: only list heads are ever inspected.
 */
export interface ListNode<N extends ListNode<N>> {
  prev: N | null;
  next: N | null;
  list: FlowList<N> | null;
}

export class FlowList<N extends ListNode<N>> {
  head: N | null = null;
  tail: N | null = null;
  size = 0;

  /** Idle time (µs of packet time) after which the flows of this list end. */
  constructor(readonly timeoutUs: number) {}

  pushTail(node: N): void {
    if (node.list !== null) node.list.remove(node);
    node.list = this;
    node.prev = this.tail;
    node.next = null;
    if (this.tail !== null) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.size++;
  }

  remove(node: N): void {
    if (node.list !== this) return;
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = null;
    node.list = null;
    this.size--;
  }
}
