import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GraphPacket } from '../../src/graph/packet.js';
import { windowOf } from '../../src/pcap/parser.js';

/** A packet whose frame is `caplen` octets at `offset` of a window that starts `shift` octets into its buffer. */
function windowPacket(shift: number, offset: number, caplen: number): GraphPacket {
  const buffer = new Uint8Array(shift + offset + caplen + 8);
  for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 7 + 3) & 0xff;
  const win = windowOf(buffer.subarray(shift), 0);
  return GraphPacket.fromWindow(win, offset, caplen, caplen, 0, 0, 1, 0, 0);
}

function sameView(actual: Uint8Array, expected: Uint8Array): void {
  assert.equal(actual.buffer, expected.buffer);
  assert.equal(actual.byteOffset, expected.byteOffset);
  assert.equal(actual.length, expected.length);
}

// frameRange skips making the frame's own view; whatever the bounds (past the frame, or
// reversed, as a malformed header's payload offsets can be), it must give the very view
// data.subarray would, before and after `data` has been made.
test('frameRange is data.subarray, clamped alike, with or without the frame view made', () => {
  fc.assert(
    fc.property(
      fc.nat(16),
      fc.nat(64),
      fc.nat(128),
      fc.nat(160),
      fc.nat(160),
      (shift, offset, caplen, from, to) => {
        const pkt = windowPacket(shift, offset, caplen);
        const range = pkt.frameRange(from, to);
        const expected = pkt.data.subarray(from, to);
        sameView(range, expected);
        assert.deepEqual(range, expected);
        sameView(pkt.frameRange(from, to), expected);
      },
    ),
    { numRuns: 2000 },
  );
});

test('frameRange of a frame that is its own bytes', () => {
  const pkt = GraphPacket.fromRecord(0, {
    data: Uint8Array.of(1, 2, 3, 4, 5),
    origLen: 5,
    tsSec: 0,
    tsNsec: 0,
    linkType: 1,
    interfaceId: 0,
  });
  assert.deepEqual(pkt.frameRange(1, 3), Uint8Array.of(2, 3));
  assert.deepEqual(pkt.frameRange(4, 99), Uint8Array.of(5));
  assert.equal(pkt.frameRange(4, 2).length, 0);
});
