import { GraphPacket } from '../graph/packet.js';
import type { Graph } from '../graph/runtime.js';
import type { CaptureReader, PacketRecord } from '../pcap/index.js';
import { CAPTURE_INPUT } from './input-graph.js';

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
      // A reader opened with GraphPacket.fromWindow made its batch of graph packets, in a new
      // array the vector can be; the numbering loop stays here, where it makes this function
      // hot (and compiled) within the first vectors.
      const vector = batch[0] instanceof GraphPacket ? (batch as GraphPacket[]) : wrapRecords(batch);
      for (let i = 0; i < vector.length; i++) vector[i]!.seq = seq++;
      graph.inject(CAPTURE_INPUT, vector);
      if ((await afterVector?.()) === true) break;
    }
  } finally {
    await reader.close();
  }
}

/**
 * Graph packets for another reader's records, in a new array: storing young packets into
 * one kept from vector to vector would pay the old-to-new write barrier's slow path for each.
 */
function wrapRecords(batch: readonly PacketRecord[]): GraphPacket[] {
  const vector = new Array<GraphPacket>(batch.length);
  for (let i = 0; i < batch.length; i++) vector[i] = GraphPacket.fromRecord(0, batch[i]!);
  return vector;
}
