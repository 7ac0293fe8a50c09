import type { Frame } from './frame.js';
import type { GraphPacket } from './packet.js';

/** How a node hands packets on: by index into its `nextNodes`, or to error-drop with a reason. */
export interface NodeOutput {
  enqueue(nextIndex: number, pkt: GraphPacket): void;
  /**
   * Hands on every packet of the frame being processed, packet i to `nexts[i]` (VPP's
   * enqueue_to_next), once process() returns: the whole frame at once when they all go to
   * one node, as most vectors do. The node must not enqueue them otherwise, nor change
   * `nexts` before it returns.
   */
  enqueueToNext(nexts: Uint16Array): void;
  /** Hands the whole frame on to one next node (a node that only counts or marks its packets). */
  forward(nextIndex: number, frame: Frame): void;
  drop(pkt: GraphPacket, reason: string): void;
}

/**
 * One stage of the data plane. A node processes a whole vector (frame) of packets per call
 * so that the fixed cost of a call — dispatch, counters, timing — is paid once per vector
 * rather than once per packet. Nodes never throw on packet content: malformed packets are
 * dropped with a reason or passed on with an anomaly recorded on their layer.
 */
export interface GraphNode {
  readonly name: string;
  /** Nodes this one hands packets to; a packet's next index is a position in this list. */
  readonly nextNodes: readonly string[];
  /** Packets are `frame.packets[0 .. frame.count)`; the frame belongs to the runtime and is reused after the call. */
  process(frame: Frame, out: NodeOutput): void;
  /** What this node saw in a traced packet, as `show trace` decode lines. */
  traceLines?(pkt: GraphPacket): string[];
  /** Called once the graph has drained after each input vector (sinks flush here). */
  endOfVector?(): void;
}
