import { GraphPacket } from '../graph/packet.js';
import type { Graph } from '../graph/runtime.js';
import type { CaptureReader } from '../pcap/index.js';
import { CAPTURE_INPUT } from './read-graph.js';

/**
 * Feeds every batch of a capture into the graph's input node as one vector, numbering the
 * packets in capture order, and closes the reader at the end. `afterVector` runs once each
 * vector is through the graph (output drains, backpressure) and ends the feed early by
 * returning true.
 */
export async function feedCapture(
  reader: CaptureReader,
  graph: Graph,
  afterVector?: () => boolean | void | Promise<boolean | void>,
): Promise<void> {
  let seq = 0;
  try {
    for await (const batch of reader.batches()) {
      graph.inject(
        CAPTURE_INPUT,
        batch.map((record) => new GraphPacket(seq++, record)),
      );
      if ((await afterVector?.()) === true) break;
    }
  } finally {
    await reader.close();
  }
}
