// Imported rather than read from the global object, where it is an accessor: every node call
// reads the clock twice, and the global's getter cost ~15 instructions a packet.
import { performance } from 'node:perf_hooks';
import { MeshtapError } from '../util/errors.js';
import { Frame, splitFrame } from './frame.js';
import type { GraphNode, NodeOutput } from './node.js';
import type { GraphPacket } from './packet.js';
import { Tracer } from './trace.js';

/** Per-node counters, as VPP's `show run` reports them. */
export interface NodeCounters {
  calls: number;
  vectors: number;
  suspends: number;
  /** Total time spent in the node's process(), in nanoseconds. */
  nanos: number;
}

export const ERROR_DROP = 'error-drop';

/** Drop reasons are a node's fixed set; a node inventing more than this is not cached past it. */
const MAX_NAMED_REASONS = 64;

interface NodeSlot {
  readonly node: GraphNode;
  readonly next: number[];
  pending: Frame;
  spare: Frame;
  queued: boolean;
  readonly counters: NodeCounters;
  /** The NodeOutput handed to this node's process(), built once. */
  out: NodeOutput;
  /** Where process() sent its frame's packets by NodeOutput.enqueueToNext; null when it did not. */
  nexts: Uint16Array | null;
}

/** The built-in sink for dropped packets: counts each drop reason (VPP's `show errors`). */
class ErrorDropNode implements GraphNode {
  readonly name = ERROR_DROP;
  readonly nextNodes: readonly string[] = [];
  readonly reasons = new Map<string, number>();

  process(frame: Frame): void {
    // Drops come in runs of one reason (a filter dropping most of a vector): one count per run.
    let reason: string | null = null;
    let run = 0;
    const packets = frame.packets;
    for (let i = 0; i < frame.count; i++) {
      const next = packets[i]!.dropReason ?? 'unknown';
      if (next === reason) {
        run++;
        continue;
      }
      if (reason !== null) this.count(reason, run);
      reason = next;
      run = 1;
    }
    if (reason !== null) this.count(reason, run);
  }

  private count(reason: string, n: number): void {
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + n);
  }

  traceLines(pkt: GraphPacket): string[] {
    return [pkt.dropReason ?? 'unknown'];
  }
}

/**
 * Runs a graph of nodes over vectors of packets. Injecting a vector at an input node queues
 * it there; the dispatcher then runs every node that has a pending frame, each node handing
 * its packets on to the next nodes' frames, until the graph drains. Time, calls and vectors
 * are counted per node call, never per packet.
 */
export class Graph {
  readonly tracer = new Tracer();
  private readonly slots: NodeSlot[] = [];
  private readonly byName = new Map<string, number>();
  private readonly ready: number[] = [];
  private readonly drop: ErrorDropNode = new ErrorDropNode();
  private readonly dropSlot: number;
  private readonly startedAt = performance.now();

  constructor(nodes: readonly GraphNode[]) {
    for (const node of [...nodes, this.drop]) {
      if (this.byName.has(node.name)) {
        throw new MeshtapError('GRAPH_DUPLICATE_NODE', `graph node ${node.name} is defined twice`);
      }
      this.byName.set(node.name, this.slots.length);
      this.slots.push({
        node,
        next: [],
        pending: new Frame(),
        spare: new Frame(),
        queued: false,
        counters: { calls: 0, vectors: 0, suspends: 0, nanos: 0 },
        out: {
          enqueue: () => undefined,
          enqueueToNext: () => undefined,
          forward: () => undefined,
          drop: () => undefined,
        },
        nexts: null,
      });
    }
    this.dropSlot = this.indexOf(ERROR_DROP);
    for (const slot of this.slots) {
      for (const name of slot.node.nextNodes) slot.next.push(this.indexOf(name));
      slot.out = this.outputFor(slot);
    }
  }

  get nodes(): readonly GraphNode[] {
    return this.slots.map((s) => s.node);
  }

  hasNode(name: string): boolean {
    return this.byName.has(name);
  }

  /** Drop reasons and their counts. */
  get errors(): ReadonlyMap<string, number> {
    return this.drop.reasons;
  }

  /** Seconds since the graph was built (the `Time` of show run). */
  get uptime(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  counters(name: string): NodeCounters {
    return this.slots[this.indexOf(name)].counters;
  }

  /** An input node waited for data (I/O, backpressure): VPP's Suspends column. */
  noteSuspend(name: string): void {
    this.slots[this.indexOf(name)].counters.suspends++;
  }

  /**
   * Hands a vector to `nodeName` and runs the graph until every frame is processed. The
   * graph takes the array over as the node's frame (queuing its packets one by one cost
   * ~150 instructions a packet), so the caller must not use it again.
   */
  inject(nodeName: string, packets: GraphPacket[]): void {
    this.forwardTo(this.indexOf(nodeName), Frame.of(packets));
    this.run();
    for (const slot of this.slots) slot.node.endOfVector?.();
  }

  private indexOf(name: string): number {
    const index = this.byName.get(name);
    if (index === undefined) throw new MeshtapError('GRAPH_UNKNOWN_NODE', `no graph node named ${name}`);
    return index;
  }

  private enqueueAt(index: number, pkt: GraphPacket): void {
    const slot = this.slots[index];
    slot.pending.push(pkt);
    // A comparison, not `!queued`: the compiler does not know the field holds a boolean.
    if (slot.queued === false) this.markReady(slot, index);
  }

  /**
   * Carries out a node's enqueueToNext, after its process() returned. Done here rather than
   * in the call: the compiler inlines what a node calls into its process(), and this code,
   * run once a vector, used up the inlining budget the per-packet code needs (the decode
   * node's call of `pkt.data` stayed a call, ~130 instructions a packet).
   */
  private enqueueToNext(next: readonly number[], frame: Frame, nexts: Uint16Array): void {
    const count = frame.count;
    if (count === 0) return;
    const first = nexts[0];
    let same = 1;
    while (same < count && nexts[same] === first) same++;
    if (same === count) return this.forwardTo(next[first], frame);
    // Each destination's packets move as one frame; the destinations are readied in the
    // order of their first packet, as enqueuing the packets one by one would.
    for (const part of splitFrame(frame, nexts, next.length)) this.forwardTo(next[part.next], part.frame);
  }

  /** Moves a whole frame to a node. */
  private forwardTo(index: number, frame: Frame): void {
    const slot = this.slots[index];
    slot.pending.takeAll(frame);
    if (slot.queued === false && slot.pending.count > 0) this.markReady(slot, index);
  }

  private markReady(slot: NodeSlot, index: number): void {
    slot.queued = true;
    this.ready.push(index);
  }

  private run(): void {
    // The ready list grows while we walk it; it is cleared once the graph has drained.
    for (let i = 0; i < this.ready.length; i++) this.dispatch(this.ready[i]);
    this.ready.length = 0;
  }

  private dispatch(index: number): void {
    const slot = this.slots[index];
    const frame = slot.pending;
    slot.pending = slot.spare;
    slot.queued = false;
    const name = slot.node.name;
    // The node may forward its packet array to the next node: keep hold of it for the traces.
    const packets = frame.packets;
    const count = frame.count;
    if (this.tracer.budget(name) > 0) for (let i = 0; i < count; i++) this.tracer.mark(name, packets[i]!);

    const started = performance.now();
    slot.node.process(frame, slot.out);
    if (slot.nexts !== null) {
      this.enqueueToNext(slot.next, frame, slot.nexts);
      slot.nexts = null;
    }
    const elapsed = performance.now() - started;

    const c = slot.counters;
    c.calls++;
    c.vectors += count;
    c.nanos += elapsed * 1e6;
    // Scanning every packet for a trace buffer costs a pass per node: only while traces exist.
    if (this.tracer.traced.length > 0) this.recordTraces(slot.node, packets, count, started);
    // Sized by what this node was handed, not what is left: a forwarded frame is left empty.
    frame.clear(count);
    slot.spare = frame;
  }

  private recordTraces(
    node: GraphNode,
    packets: readonly (GraphPacket | undefined)[],
    count: number,
    startedMs: number,
  ): void {
    let timeUs = -1;
    for (let i = 0; i < count; i++) {
      const pkt = packets[i]!;
      if (pkt.trace === null) continue;
      if (timeUs < 0) timeUs = Math.round((performance.timeOrigin + startedMs) * 1000);
      pkt.trace.add(node.name, timeUs, node.traceLines?.(pkt) ?? []);
    }
  }

  private outputFor(slot: NodeSlot): NodeOutput {
    // Each reason's "node: reason" string is built once: error-drop counts by it, and one
    // string per dropped packet (hashed again for every count) cost more than the drop itself.
    // Drops come in runs of one reason, so the last one is checked before the map.
    const named = new Map<string, string>();
    let lastReason = '';
    let lastFull = '';
    return {
      enqueue: (nextIndex, pkt) => this.enqueueAt(slot.next[nextIndex], pkt),
      enqueueToNext: (nexts) => {
        slot.nexts = nexts;
      },
      forward: (nextIndex, frame) => this.forwardTo(slot.next[nextIndex], frame),
      drop: (pkt, reason) => {
        if (reason !== lastReason) {
          let full = named.get(reason);
          if (full === undefined) {
            full = `${slot.node.name}: ${reason}`;
            if (named.size < MAX_NAMED_REASONS) named.set(reason, full);
          }
          lastReason = reason;
          lastFull = full;
        }
        pkt.dropReason = lastFull;
        this.enqueueAt(this.dropSlot, pkt);
      },
    };
  }
}
