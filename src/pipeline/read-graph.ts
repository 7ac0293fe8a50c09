import { defaultRegistry, linkTypeName } from '../decode/index.js';
import { layerTraceLines } from '../decode/describe.js';
import { buildDecodeNodes } from '../graph/decode-graph.js';
import { PacketOutputNode, type PacketConsumer } from '../graph/nodes/packet-output.js';
import { buildReassemblyNodes, FRAGMENT_ROUTER } from '../graph/nodes/reassembly-node.js';
import { Graph } from '../graph/runtime.js';
import type { GraphNode } from '../graph/node.js';
import {
  DatagramInputNode,
  DissectNode,
  FlowDoneNode,
  FlowLookupNode,
  TcpReassemblyNode,
} from './flow-nodes.js';
import type { FlowPlane } from './flow-plane.js';
import { inputNodes } from './input-graph.js';

export { CAPTURE_INPUT, CAPTURE_FILTER } from './input-graph.js';

interface CaptureGraphOptions {
  filter?: string;
  /** The node decoded packets go to, and the nodes from there on. */
  doneNode: string;
  tail: GraphNode[];
}

/** pcap-input → [pcap-filter] → link-input → decode nodes (+ IP reassembly) → the tail. */
function buildCaptureGraph(opts: CaptureGraphOptions): Graph {
  const nodes: GraphNode[] = inputNodes(opts.filter, 'link-input');
  nodes.push(
    ...buildDecodeNodes({
      registry: defaultRegistry,
      doneNode: opts.doneNode,
      describe: layerTraceLines,
      linkTypeName,
      router: FRAGMENT_ROUTER,
    }),
    ...buildReassemblyNodes({ doneNode: opts.doneNode }),
    ...opts.tail,
  );
  return new Graph(nodes);
}

/** The graph of `meshtap read` that decodes (printing, JSON, traces): decoded packets end at packet-output. */
export function buildReadGraph(opts: { filter?: string; consumer: PacketConsumer }): Graph {
  const output = new PacketOutputNode(opts.consumer);
  return buildCaptureGraph({ filter: opts.filter, doneNode: output.name, tail: [output] });
}

/** The graph of `meshtap entries`: decoded packets go on to flows, reassembly and the dissectors. */
export function buildEntriesGraph(opts: { filter?: string; plane: FlowPlane }): Graph {
  const lookup = new FlowLookupNode(opts.plane);
  return buildCaptureGraph({
    filter: opts.filter,
    doneNode: lookup.name,
    tail: [
      lookup,
      new TcpReassemblyNode(),
      new DatagramInputNode(),
      new DissectNode(opts.plane),
      new FlowDoneNode(),
    ],
  });
}
