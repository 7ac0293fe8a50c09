import { defaultRegistry, linkTypeName } from '../decode/index.js';
import { layerTraceLines } from '../decode/describe.js';
import { createFrameMatcher } from '../filter/index.js';
import { buildDecodeNodes } from '../graph/decode-graph.js';
import { CaptureInputNode, FilterNode } from '../graph/nodes/input-node.js';
import { PacketOutputNode, type PacketConsumer } from '../graph/nodes/packet-output.js';
import { buildReassemblyNodes, fragmentRouter, REASSEMBLY_NODES } from '../graph/nodes/reassembly-node.js';
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

export const CAPTURE_INPUT = 'pcap-input';
export const CAPTURE_FILTER = 'pcap-filter';

interface CaptureGraphOptions {
  filter?: string;
  /** The node decoded packets go to, and the nodes from there on. */
  doneNode: string;
  tail: GraphNode[];
}

/** pcap-input → [pcap-filter] → `next`. */
function inputNodes(filter: string | undefined, next: string): GraphNode[] {
  if (filter === undefined) return [new CaptureInputNode(CAPTURE_INPUT, next)];
  const matches = createFrameMatcher(filter);
  return [
    new CaptureInputNode(CAPTURE_INPUT, CAPTURE_FILTER),
    new FilterNode(
      CAPTURE_FILTER,
      next,
      (pkt) => matches(pkt.bytes, pkt.offset, pkt.caplen, pkt.origLen, pkt.linkType),
      filter,
    ),
  ];
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
      route: fragmentRouter,
      routeTargets: REASSEMBLY_NODES,
    }),
    ...buildReassemblyNodes({ doneNode: opts.doneNode }),
    ...opts.tail,
  );
  return new Graph(nodes);
}

/**
 * The graph of `meshtap read`: decoded packets end at packet-output. Without `decode` the
 * packets go from the input (and filter) straight to packet-output: rewriting a capture
 * needs only its records, and the filter reads the raw bytes itself, as tcpdump -w does.
 */
export function buildReadGraph(opts: { filter?: string; consumer: PacketConsumer; decode: boolean }): Graph {
  const output = new PacketOutputNode(opts.consumer);
  if (!opts.decode) return new Graph([...inputNodes(opts.filter, output.name), output]);
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
