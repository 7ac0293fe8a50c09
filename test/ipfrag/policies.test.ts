/**
 * Overlap policies against the target-based reassembly literature. The fragment pattern is the
 * one from Novak's "Target-Based Fragmentation Reassembly" paper as reproduced in Snort frag3 and
 * Suricata defrag test suites (units of 8 bytes); the expected results per target OS are that
 * literature's, written out by hand below.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FragmentReassembler, OVERLAP_POLICIES, type OverlapPolicy } from '../../src/flow/ipfrag/index.js';
import { addV4, filled, SRC, DST, type V4Fragment } from './build.js';

/** [letter, start unit, length in units]; originals first, then the overlapping later fragments. */
const PATTERN: [string, number, number][] = [
  ['A', 0, 3],
  ['B', 4, 2],
  ['C', 6, 3],
  ['D', 10, 1],
  ['E', 13, 2],
  ['F', 15, 3],
  ['G', 18, 2],
  ['H', 20, 2],
  ['I', 22, 1],
  ['J', 1, 4],
  ['K', 6, 3],
  ['L', 9, 3],
  ['M', 12, 3],
  ['N', 16, 1],
  ['O', 19, 1],
  ['P', 20, 1],
  ['Q', 22, 2],
];

/** Byte source of each 8-byte unit of the 192-byte result, per policy. */
const EXPECTED: Record<Exclude<OverlapPolicy, 'rfc5722'>, string> = {
  first: 'AAAJBBCCCLDLMEEFFFGGHHIQ',
  last: 'AJJJJBKKKLLLMMMFNFGOPHQQ',
  bsd: 'AAAJJBCCCLLLMMMFFFGGHHIQ',
  linux: 'AAAJJBKKKLLLMMMFFFGGPHQQ',
  windows: 'AAAJBBCCCLLLMEEFFFGGHHIQ',
  solaris: 'AAAJBBCCCLLLMMMFFFGGHHIQ',
};

function patternFragments(): V4Fragment[] {
  return PATTERN.map(([letter, unit, units], i) => ({
    offset: unit * 8,
    payload: filled(letter, units * 8),
    more: i !== PATTERN.length - 1,
  }));
}

function unitsOf(payload: Uint8Array): string {
  let out = '';
  for (let i = 0; i < payload.length; i += 8) out += String.fromCharCode(payload[i]);
  return out;
}

describe('ipfrag: overlap policies (Novak test pattern)', () => {
  for (const policy of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
    test(policy, () => {
      const r = new FragmentReassembler({}, policy);
      const fragments = patternFragments();
      const results = fragments.map((f) => addV4(r, f));
      const last = results[results.length - 1];
      assert.equal(last.status, 'complete');
      const packet = (last as { packet: Uint8Array }).packet;
      assert.equal(packet.length, 20 + 192);
      assert.equal(unitsOf(packet.subarray(20)), EXPECTED[policy]);
      // Each 8-byte unit is uniform: overlaps resolve on whole units here.
      for (let i = 20; i < packet.length; i++) assert.equal(packet[i], packet[20 + ((i - 20) & ~7)]);
      // Every later fragment overlaps an original: J..Q = 8 overlaps.
      assert.equal(r.stats.overlaps, 8);
    });
  }

  test('rfc5722: the first overlap drops the whole datagram', () => {
    const r = new FragmentReassembler({}, 'rfc5722');
    const fragments = patternFragments();
    fragments.slice(0, 9).forEach((f) => assert.equal(addV4(r, f).status, 'pending'));
    assert.deepEqual(addV4(r, fragments[9]), { status: 'dropped', reason: 'ipfrag.overlap_conflict' });
    assert.equal(r.datagramsHeld, 0);
  });

  test('rfc5722 still accepts exact duplicates', () => {
    const r = new FragmentReassembler({}, 'rfc5722');
    const a = { offset: 0, payload: filled('A', 8), more: true };
    addV4(r, a);
    assert.equal(addV4(r, a).status, 'pending');
    assert.equal(addV4(r, { offset: 8, payload: filled('B', 3), more: false }).status, 'complete');
    assert.equal(r.stats.duplicates, 1);
  });

  test('the default policy is linux', () => {
    assert.equal(new FragmentReassembler().policy, 'linux');
    assert.deepEqual([...OVERLAP_POLICIES].sort(), [
      'bsd',
      'first',
      'last',
      'linux',
      'rfc5722',
      'solaris',
      'windows',
    ]);
  });

  test('the header comes from the offset-0 fragment that owns offset 0 under the policy', () => {
    for (const [policy, expectedTtl] of [
      ['linux', 99],
      ['first', 64],
    ] as const) {
      const r = new FragmentReassembler({}, policy);
      addV4(r, { offset: 0, payload: filled('A', 8), more: true });
      const header = Uint8Array.from([
        0x45, 0, 0, 0, 0x12, 0x34, 0x20, 0, 99, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
      ]);
      r.addIpv4(header, filled('Z', 8), SRC, DST, 0x1234, 17, 0, true, 0);
      const done = addV4(r, { offset: 8, payload: filled('B', 8), more: false });
      const packet = (done as { packet: Uint8Array }).packet;
      assert.equal(packet[8], expectedTtl, policy);
      assert.equal(packet[20], policy === 'linux' ? 0x5a : 0x41, policy); // 'Z' or 'A'
    }
  });
});

/**
 * RFC 1858 attacks on packet filters. meshtap inspects only reassembled datagrams, so a tiny
 * first fragment cannot hide TCP flags; an overlapping rewrite of the TCP header is resolved
 * the way the configured target would resolve it.
 */
describe('ipfrag: RFC 1858 tiny and overlapping TCP header fragments', () => {
  // TCP header: ports 12345 → 80, seq 1, ack 0, data offset 5, flags ACK (0x10), window 0x7210, checksum 0, urgent 0.
  const tcpAck = Uint8Array.from([
    0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0x72, 0x10, 0, 0, 0, 0,
  ]);
  const TCP = 6;

  function add(r: FragmentReassembler, offset: number, payload: Uint8Array, more: boolean) {
    const flagsOffset = (more ? 0x2000 : 0) | (offset >> 3);
    const header = Uint8Array.from([
      0x45,
      0,
      0,
      0,
      0,
      9,
      flagsOffset >> 8,
      flagsOffset & 0xff,
      64,
      TCP,
      0,
      0,
      10,
      0,
      0,
      1,
      10,
      0,
      0,
      2,
    ]);
    return r.addIpv4(header, payload, SRC, DST, 9, TCP, offset, more, 0);
  }

  test('tiny fragment: an 8-byte first fragment (ports only) yields the whole header once reassembled', () => {
    const r = new FragmentReassembler();
    assert.equal(add(r, 0, tcpAck.subarray(0, 8), true).status, 'pending');
    const done = add(r, 8, tcpAck.subarray(8), false);
    assert.equal(done.status, 'complete');
    assert.deepEqual((done as { packet: Uint8Array }).packet.subarray(20), tcpAck);
  });

  test('overlapping rewrite at offset 8 (ACK → SYN): kept out by linux/bsd/first, let in by last', () => {
    // Second fragment: bytes 8..23 of a header whose flags byte (13) is SYN (0x02), then 4 data bytes.
    const rewrite = Uint8Array.from([0, 0, 0, 0, 0x50, 0x02, 0x72, 0x10, 0, 0, 0, 0, 0x64, 0x61, 0x74, 0x61]);
    const firstPiece = Uint8Array.from([...tcpAck, 0x44, 0x41, 0x54, 0x41]); // header + "DATA"
    const flagsAfter: Record<string, number> = { linux: 0x10, bsd: 0x10, first: 0x10, last: 0x02 };
    for (const [policy, flags] of Object.entries(flagsAfter)) {
      const r = new FragmentReassembler({}, policy as OverlapPolicy);
      add(r, 0, firstPiece, true);
      const done = add(r, 8, rewrite, false);
      assert.equal(done.status, 'complete', policy);
      const tcp = (done as { packet: Uint8Array }).packet.subarray(20);
      assert.equal(tcp[13], flags, `${policy}: TCP flags`);
      assert.equal(r.stats.overlaps, 1);
    }
  });
});
