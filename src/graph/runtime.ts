import { MeshtapError } from '../util/errors.js';
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
  pending: GraphPacket[];
  spare: GraphPacket[];
  queued: boolean;
  readonly counters: NodeCounters;
  /** The NodeOutput handed to this node's process(), built once. */
  out: NodeOutput;
}

/** The built-in sink for dropped packets: counts each drop reason (VPP's `show errors`). */
class ErrorDropNode implements GraphNode {
  readonly name = ERROR_DROP;
  readonly nextNodes: readonly string[] = [];
  readonly reasons = new Map<string, number>();

  process(frame: readonly GraphPacket[]): void {
    // Drops come in runs of one reason (a filter dropping most of a vector): one count per run.
    let reason: string | null = null;
    let run = 0;
    for (const pkt of frame) {
      const next = pkt.dropReason ?? 'unknown';
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
        pending: [],
        spare: [],
        queued: false,
        counters: { calls: 0, vectors: 0, suspends: 0, nanos: 0 },
        out: { enqueue: () => undefined, drop: () => undefined },
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

  /** Hands a vector to `nodeName` and runs the graph until every frame is processed. */
  inject(nodeName: string, packets: readonly GraphPacket[]): void {
    const index = this.indexOf(nodeName);
    for (const pkt of packets) this.enqueueAt(index, pkt);
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
    if (!slot.queued) {
      slot.queued = true;
      this.ready.push(index);
    }
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
    if (this.tracer.budget(name) > 0) for (const pkt of frame) this.tracer.mark(name, pkt);

    const started = performance.now();
    slot.node.process(frame, slot.out);
    const elapsed = performance.now() - started;

    const c = slot.counters;
    c.calls++;
    c.vectors += frame.length;
    c.nanos += elapsed * 1e6;
    this.recordTraces(slot.node, frame, started);
    frame.length = 0;
    slot.spare = frame;
  }

  private recordTraces(node: GraphNode, frame: readonly GraphPacket[], startedMs: number): void {
    const timeUs = Math.round((performance.timeOrigin + startedMs) * 1000);
    for (const pkt of frame) {
      if (pkt.trace !== null) pkt.trace.add(node.name, timeUs, node.traceLines?.(pkt) ?? []);
    }
  }

  private outputFor(slot: NodeSlot): NodeOutput {
    // Each reason's "node: reason" string is built once: error-drop counts by it, and one
    // string per dropped packet (hashed again for every count) cost more than the drop itself.
    const named = new Map<string, string>();
    return {
      enqueue: (nextIndex, pkt) => this.enqueueAt(slot.next[nextIndex], pkt),
      drop: (pkt, reason) => {
        let full = named.get(reason);
        if (full === undefined) {
          full = `${slot.node.name}: ${reason}`;
          if (named.size < MAX_NAMED_REASONS) named.set(reason, full);
        }
        pkt.dropReason = full;
        this.enqueueAt(this.dropSlot, pkt);
      },
    };
  }
}
