import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FragmentReassembler, type ReassemblyResult } from '../../src/flow/ipfrag/index.js';
import { MeshtapError } from '../../src/util/errors.js';
import { addAll, addV4, EXPECTED_PACKET, fragmentHeader, PAYLOAD, split, SRC, DST, UDP } from './build.js';

function completePacket(result: ReassemblyResult): Uint8Array {
  assert.equal(result.status, 'complete', JSON.stringify(result));
  return (result as { packet: Uint8Array }).packet;
}

function dropReason(result: ReassemblyResult): string {
  assert.equal(result.status, 'dropped');
  return (result as { reason: string }).reason;
}

describe('ipfrag: IPv4 in-order and out-of-order reassembly', () => {
  test('in order: pending until the last piece, then the original datagram with a fresh header', () => {
    const r = new FragmentReassembler();
    const fragments = split([16, 40]);
    assert.deepEqual(addV4(r, fragments[0]), { status: 'pending' });
    assert.deepEqual(addV4(r, fragments[1]), { status: 'pending' });
    const result = addV4(r, fragments[2]);
    assert.deepEqual(completePacket(result), EXPECTED_PACKET);
    assert.equal((result as { fragments: number }).fragments, 3);
    assert.equal(r.datagramsHeld, 0);
    assert.equal(r.bytesHeld, 0);
    assert.equal(r.stats.reassembled, 1);
  });

  test('DF and reserved bits survive, MF and the offset are cleared', () => {
    const r = new FragmentReassembler();
    const [a, b] = split([8]);
    const header = fragmentHeader(0, true);
    header[6] |= 0x40; // DF set on the first fragment (bytes 6-7 = 0x6000)
    r.addIpv4(header, a.payload, SRC, DST, 0x1234, UDP, 0, true, 0);
    const packet = completePacket(addV4(r, b));
    assert.deepEqual([packet[6], packet[7]], [0x40, 0x00]);
    // Checksum by hand: 0xab9c + 0x4000 = 0xeb9c, ~ = 0x1463.
    assert.deepEqual([packet[10], packet[11]], [0x14, 0x63]);
  });

  test('every permutation of 8 fragments yields the same datagram (fast-check)', () => {
    const fragments = split([8, 16, 24, 32, 40, 48, 56]);
    fc.assert(
      fc.property(fc.shuffledSubarray(fragments, { minLength: 8, maxLength: 8 }), (order) => {
        const r = new FragmentReassembler();
        const results = order.map((f) => addV4(r, f));
        assert.ok(results.slice(0, -1).every((x) => x.status === 'pending'));
        assert.deepEqual(completePacket(results[7]), EXPECTED_PACKET);
      }),
      { numRuns: 200 },
    );
  });

  test('duplicates in any order change nothing and are counted', () => {
    const fragments = split([16, 24, 48]);
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...fragments, ...fragments], { minLength: 8, maxLength: 8 }),
        (order) => {
          const r = new FragmentReassembler();
          let done: Uint8Array | null = null;
          for (const f of order) {
            const result = addV4(r, f);
            if (result.status === 'complete') {
              done = result.packet;
              break;
            }
          }
          assert.deepEqual(done, EXPECTED_PACKET);
          assert.equal(r.stats.overlaps, 0);
          assert.equal(r.stats.duplicates + 4, r.stats.fragments);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a duplicate arriving after completion starts a new, incomplete datagram', () => {
    const r = new FragmentReassembler();
    const fragments = split([32]);
    completePacket(addAll(r, fragments));
    assert.deepEqual(addV4(r, fragments[1]), { status: 'pending' });
    assert.equal(r.datagramsHeld, 1);
  });

  test('fragments of different ids, protocols or addresses never mix', () => {
    const r = new FragmentReassembler();
    const [a, b] = split([32]);
    addV4(r, { ...a, id: 1 });
    assert.equal(addV4(r, { ...b, id: 2 }).status, 'pending');
    assert.equal(
      r.addIpv4(fragmentHeader(32, false, 1), b.payload, SRC, DST, 1, 6, 32, false, 0).status,
      'pending',
    );
    assert.equal(
      r.addIpv4(fragmentHeader(32, false, 1), b.payload, DST, SRC, 1, UDP, 32, false, 0).status,
      'pending',
    );
    assert.equal(addV4(r, { ...b, id: 1 }).status, 'complete');
  });

  test('header options of the offset-0 fragment are kept and the length counts them', () => {
    const r = new FragmentReassembler();
    // IHL 6: one 4-byte option word (NOP NOP NOP EOL).
    const header = Uint8Array.from([...fragmentHeader(0, true), 0x01, 0x01, 0x01, 0x00]);
    header[0] = 0x46;
    const [a, b] = split([8]);
    r.addIpv4(header, a.payload, SRC, DST, 0x1234, UDP, 0, true, 0);
    const packet = completePacket(addV4(r, b));
    assert.equal(packet.length, 24 + 64);
    assert.deepEqual([packet[2], packet[3]], [0x00, 88]);
    assert.deepEqual([...packet.subarray(20, 24)], [1, 1, 1, 0]);
    assert.deepEqual(packet.subarray(24), PAYLOAD);
  });

  test('offset 0 with MF clear is not a fragment: returned whole at once', () => {
    const r = new FragmentReassembler();
    const packet = completePacket(
      r.addIpv4(fragmentHeader(0, false), PAYLOAD, SRC, DST, 0x1234, UDP, 0, false, 0),
    );
    assert.deepEqual(packet, EXPECTED_PACKET);
    assert.equal(r.datagramsHeld, 0);
  });
});

describe('ipfrag: malformed fragments', () => {
  test('a non-last fragment whose length is not a multiple of 8 is dropped alone', () => {
    const r = new FragmentReassembler();
    const [a, b] = split([32]);
    assert.equal(
      dropReason(addV4(r, { offset: 0, payload: PAYLOAD.subarray(0, 12), more: true })),
      'ipfrag.bad_length',
    );
    addV4(r, a);
    assert.deepEqual(completePacket(addV4(r, b)), EXPECTED_PACKET);
    assert.equal(r.stats.invalid, 1);
  });

  test('data beyond the total set by the last fragment drops the datagram', () => {
    const r = new FragmentReassembler();
    const [a, b] = split([32]);
    addV4(r, b); // total = 64
    assert.equal(
      dropReason(addV4(r, { offset: 64, payload: PAYLOAD.subarray(0, 8), more: true })),
      'ipfrag.bad_length',
    );
    assert.equal(r.datagramsHeld, 0);
    assert.equal(addV4(r, a).status, 'pending', 'the rest of the datagram was discarded');
  });

  test('a last fragment that ends before data already held drops the datagram', () => {
    const r = new FragmentReassembler();
    addV4(r, { offset: 40, payload: PAYLOAD.subarray(40, 56), more: true });
    assert.equal(
      dropReason(addV4(r, { offset: 24, payload: PAYLOAD.subarray(24, 40), more: false })),
      'ipfrag.bad_length',
    );
  });

  test('two last fragments with different totals drop the datagram', () => {
    const r = new FragmentReassembler();
    addV4(r, { offset: 32, payload: PAYLOAD.subarray(32, 64), more: false });
    assert.equal(
      dropReason(addV4(r, { offset: 32, payload: PAYLOAD.subarray(32, 60), more: false })),
      'ipfrag.bad_length',
    );
    assert.equal(r.datagramsHeld, 0);
  });

  test('zero-length fragments: ignored when MF is set, set the total when it is clear', () => {
    const r = new FragmentReassembler();
    assert.equal(dropReason(addV4(r, { offset: 8, payload: new Uint8Array(0), more: true })), 'ipfrag.empty');
    assert.equal(r.datagramsHeld, 0);
    addV4(r, { offset: 64, payload: new Uint8Array(0), more: false });
    addV4(r, { offset: 0, payload: PAYLOAD.subarray(0, 32), more: true });
    assert.deepEqual(
      completePacket(addV4(r, { offset: 32, payload: PAYLOAD.subarray(32), more: true })),
      EXPECTED_PACKET,
    );
  });

  test('offsets that are not multiples of 8 and bad header lengths are rejected', () => {
    const r = new FragmentReassembler();
    assert.equal(
      dropReason(r.addIpv4(fragmentHeader(0, true), PAYLOAD, SRC, DST, 1, UDP, 12, true, 0)),
      'ipfrag.bad_offset',
    );
    assert.equal(
      dropReason(r.addIpv4(new Uint8Array(16), PAYLOAD, SRC, DST, 1, UDP, 8, true, 0)),
      'ipfrag.bad_header',
    );
    assert.equal(r.stats.invalid, 2);
  });

  test('a datagram longer than 65535 bytes (ping of death) is dropped as too big', () => {
    const r = new FragmentReassembler();
    const [a] = split([32]);
    addV4(r, a);
    // 65512 + 8 + 20-byte header = 65540 > 65535.
    const result = addV4(r, { offset: 65512, payload: PAYLOAD.subarray(0, 8), more: false });
    assert.equal(dropReason(result), 'ipfrag.too_big');
    assert.equal(r.stats.tooBig, 1);
    assert.equal(r.datagramsHeld, 0);
  });

  test('maxDatagramBytes lowers the ceiling', () => {
    const r = new FragmentReassembler({ maxDatagramBytes: 48 });
    assert.equal(dropReason(addV4(r, split([32])[1])), 'ipfrag.too_big');
  });

  test('more fragments than maxFragmentsPerDatagram drop the datagram', () => {
    const r = new FragmentReassembler({ maxFragmentsPerDatagram: 3 });
    const fragments = split([8, 16, 24]);
    addAll(r, fragments.slice(0, 3));
    assert.equal(dropReason(addV4(r, fragments[3])), 'ipfrag.too_many_fragments');
    assert.equal(r.datagramsHeld, 0);
  });

  test('bad limits and policies are usage errors', () => {
    assert.throws(
      () => new FragmentReassembler({ maxDatagrams: 0 }),
      (e: MeshtapError) => e.code === 'ipfrag.bad_limits',
    );
    assert.throws(
      () => new FragmentReassembler({ maxDatagramBytes: 70000 }),
      (e: MeshtapError) => e.code === 'ipfrag.bad_limits',
    );
    assert.throws(
      () => new FragmentReassembler({}, 'macos' as never),
      (e: MeshtapError) => e.code === 'ipfrag.bad_policy',
    );
  });
});

describe('ipfrag: bounded memory and packet-time timeouts', () => {
  test('a datagram times out timeoutUs after its first fragment, by packet time', () => {
    const r = new FragmentReassembler({ timeoutUs: 1000 });
    const [a, b] = split([32]);
    addV4(r, a, 5000);
    assert.equal(r.expire(5999), 0);
    assert.equal(r.expire(6000), 1);
    assert.equal(r.stats.timedOut, 1);
    assert.equal(addV4(r, b, 6000).status, 'pending', 'the late fragment starts afresh');
  });

  test('adding a fragment expires stale datagrams first', () => {
    const r = new FragmentReassembler({ timeoutUs: 1000 });
    const [a, b] = split([32]);
    addV4(r, a, 0);
    addV4(r, { ...a, id: 7 }, 500);
    assert.equal(addV4(r, b, 1200).status, 'pending');
    assert.equal(r.stats.timedOut, 1);
    assert.equal(r.datagramsHeld, 2);
    assert.equal(addV4(r, { ...b, id: 7 }, 1400).status, 'complete');
  });

  test('the oldest datagram is evicted when maxDatagrams is reached', () => {
    const r = new FragmentReassembler({ maxDatagrams: 2 });
    const [a, b] = split([32]);
    for (const id of [1, 2, 3]) addV4(r, { ...a, id });
    assert.equal(r.stats.evicted, 1);
    assert.equal(r.datagramsHeld, 2);
    assert.equal(addV4(r, { ...b, id: 1 }).status, 'pending', 'id 1 was evicted');
    assert.equal(addV4(r, { ...b, id: 3 }).status, 'complete');
  });

  test('byte limit: older datagrams make room, and one that cannot fit at all is dropped', () => {
    // Charged per datagram here (docs/ip-reassembly.md): 128 fixed + 2048 first buffer
    // + 512 block-owner map + 64 extents + 20 header = 2772 bytes.
    const r = new FragmentReassembler({ maxBytesTotal: 5000 });
    const [a] = split([32]);
    addV4(r, { ...a, id: 1 });
    assert.equal(r.bytesHeld, 2772);
    addV4(r, { ...a, id: 2 });
    assert.equal(r.bytesHeld, 2772);
    assert.equal(r.stats.evicted, 1, 'the second datagram evicted the first');
    const small = new FragmentReassembler({ maxBytesTotal: 1000 });
    assert.equal(dropReason(addV4(small, a)), 'ipfrag.memory_limit');
    assert.equal(small.bytesHeld, 0);
  });
});
