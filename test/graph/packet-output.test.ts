import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Frame } from '../../src/graph/frame.js';
import { PacketOutputNode } from '../../src/graph/nodes/packet-output.js';
import { GraphPacket } from '../../src/graph/packet.js';

function packet(seq: number): GraphPacket {
  return GraphPacket.fromRecord(seq, {
    data: Uint8Array.of(0),
    origLen: 1,
    tsSec: 0,
    tsNsec: 0,
    linkType: 1,
    interfaceId: 0,
  });
}

/** The seqs the consumer sees for one vector whose packets reach the output in `arrival` order. */
function consumedSeqs(arrival: number[]): number[] {
  let seen: number[] = [];
  const node = new PacketOutputNode({
    needsOrder: true,
    consume(frame: Frame) {
      seen = frame.packets.slice(0, frame.count).map((p) => p!.seq);
    },
  });
  // Two calls, as when two nodes (tcp-input, udp-input) each hand on part of the vector.
  const half = arrival.length >> 1;
  for (const part of [arrival.slice(0, half), arrival.slice(half)]) {
    const frame = new Frame();
    for (const seq of part) frame.push(packet(seq));
    node.process(frame);
  }
  node.endOfVector();
  return seen;
}

test('packets of a vector come out in capture order', () => {
  assert.deepEqual(consumedSeqs([0, 1, 2, 3]), [0, 1, 2, 3]);
  assert.deepEqual(consumedSeqs([10, 12, 13, 11, 14]), [10, 11, 12, 13, 14]);
  // Gaps: packets dropped on the way (a filter) leave seqs out.
  assert.deepEqual(consumedSeqs([20, 27, 22, 25]), [20, 22, 25, 27]);
  // Seqs far apart and a seq seen twice take the sorting path.
  assert.deepEqual(consumedSeqs([900, 3, 40, 1]), [1, 3, 40, 900]);
  assert.deepEqual(consumedSeqs([6, 5, 6, 4]), [4, 5, 6, 6]);
});

test('a consumer that needs no order gets each frame as it arrives, without reassembled packets', () => {
  const seen: number[][] = [];
  const node = new PacketOutputNode({
    needsOrder: false,
    consume(frame: Frame) {
      seen.push(frame.packets.slice(0, frame.count).map((p) => p!.seq));
    },
  });
  const first = new Frame();
  for (const seq of [3, 1]) first.push(packet(seq));
  node.process(first);
  const second = new Frame();
  second.push(packet(2));
  second.push(packet(0).derive(Uint8Array.of(0), 1));
  second.push(packet(0));
  node.process(second);
  node.endOfVector();
  assert.deepEqual(seen, [
    [3, 1],
    [2, 0],
  ]);
  assert.equal(node.derived, 1);
});
