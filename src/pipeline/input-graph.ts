import { createFrameMatcher } from '../filter/index.js';
import { CaptureInputNode, FilterNode } from '../graph/nodes/input-node.js';
import { PacketOutputNode, type PacketConsumer } from '../graph/nodes/packet-output.js';
import { Graph } from '../graph/runtime.js';
import type { GraphNode } from '../graph/node.js';

/**
 * The nodes every capture graph starts with, and the graph of a capture rewrite. This module
 * loads no decoder: `meshtap read -w` without a trace never decodes, and a command-line run
 * pays for each module it loads at every start.
 */
export const CAPTURE_INPUT = 'pcap-input';
export const CAPTURE_FILTER = 'pcap-filter';

/** pcap-input → [pcap-filter] → `next`. */
export function inputNodes(filter: string | undefined, next: string): GraphNode[] {
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

/**
 * Rewriting a capture needs only its records: pcap-input → [pcap-filter] → packet-output, and
 * the filter reads the raw bytes itself, as tcpdump -w does.
 */
export function buildRewriteGraph(opts: { filter?: string; consumer: PacketConsumer }): Graph {
  const output = new PacketOutputNode(opts.consumer);
  return new Graph([...inputNodes(opts.filter, output.name), output]);
}
