import type { GraphPacket } from './packet.js';

/** How a node hands packets on: by index into its `nextNodes`, or to error-drop with a reason. */
export interface NodeOutput {
  enqueue(nextIndex: number, pkt: GraphPacket): void;
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
  process(frame: readonly GraphPacket[], out: NodeOutput): void;
  /** What this node saw in a traced packet, as `show trace` decode lines. */
  traceLines?(pkt: GraphPacket): string[];
  /** Called once the graph has drained after each input vector (sinks flush here). */
  endOfVector?(): void;
}
