import { defaultRegistry, linkTypeName } from '../decode/index.js';
import { layerTraceLines } from '../decode/describe.js';
import { createFilterMatcher } from '../filter/index.js';
import { buildDecodeNodes } from '../graph/decode-graph.js';
import { CaptureInputNode, FilterNode } from '../graph/nodes/input-node.js';
import { PacketOutputNode, type PacketConsumer } from '../graph/nodes/packet-output.js';
import { buildReassemblyNodes, fragmentRouter, REASSEMBLY_NODES } from '../graph/nodes/reassembly-node.js';
import { Graph } from '../graph/runtime.js';
import type { GraphNode } from '../graph/node.js';

export const CAPTURE_INPUT = 'pcap-input';

export interface ReadGraphOptions {
  filter?: string;
  consumer: PacketConsumer;
}

/** pcap-input → [pcap-filter] → link-input → decode nodes (+ IP reassembly) → packet-output. */
export function buildReadGraph(opts: ReadGraphOptions): Graph {
  const nodes: GraphNode[] = [];
  if (opts.filter !== undefined) {
    const matches = createFilterMatcher(opts.filter);
    nodes.push(new CaptureInputNode(CAPTURE_INPUT, 'pcap-filter'));
    nodes.push(new FilterNode('pcap-filter', 'link-input', (pkt) => matches(pkt), opts.filter));
  } else {
    nodes.push(new CaptureInputNode(CAPTURE_INPUT, 'link-input'));
  }
  const output = new PacketOutputNode(opts.consumer);
  nodes.push(
    ...buildDecodeNodes({
      registry: defaultRegistry,
      doneNode: output.name,
      describe: layerTraceLines,
      linkTypeName,
      route: fragmentRouter,
      routeTargets: REASSEMBLY_NODES,
    }),
    ...buildReassemblyNodes({ doneNode: output.name }),
    output,
  );
  return new Graph(nodes);
}
