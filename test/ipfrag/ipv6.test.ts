import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FragmentReassembler, type ReassemblyResult } from '../../src/flow/ipfrag/index.js';
import { PAYLOAD } from './build.js';

const SRC6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1]); // 2001:db8::1
const DST6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2]); // 2001:db8::2

/** IPv6 header 2001:db8::1 → 2001:db8::2, hop limit 64, Next Header 44 (Fragment), payload length `plen`. */
function ipv6Header(nextHeader: number, plen: number, hopLimit = 64): number[] {
  return [0x60, 0, 0, 0, plen >> 8, plen & 0xff, nextHeader, hopLimit, ...SRC6, ...DST6];
}

/** Hop-by-Hop Options header: Next Header 44, length 0 (8 bytes), one PadN option of 4 bytes. */
const HOP_BY_HOP_TO_FRAGMENT = [44, 0, 0x01, 0x04, 0, 0, 0, 0];

function complete(result: ReassemblyResult): Uint8Array {
  assert.equal(result.status, 'complete', JSON.stringify(result));
  return (result as { packet: Uint8Array }).packet;
}

describe('ipfrag: IPv6', () => {
  test('Fragment header removed, preceding Next Header set to UDP, payload length updated', () => {
    const r = new FragmentReassembler();
    const unfragmentable = Uint8Array.from(ipv6Header(44, 8 + 32));
    assert.equal(
      r.addIpv6(unfragmentable, PAYLOAD.subarray(32), SRC6, DST6, 0xabcdef01, 17, 32, false, 0).status,
      'pending',
    );
    const packet = complete(
      r.addIpv6(unfragmentable, PAYLOAD.subarray(0, 32), SRC6, DST6, 0xabcdef01, 17, 0, true, 0),
    );
    // Hand-written: header with payload length 64 (0x0040) and Next Header 17, then the payload.
    assert.deepEqual(packet, Uint8Array.from([...ipv6Header(17, 64), ...PAYLOAD]));
  });

  test('with a Hop-by-Hop header in the unfragmentable part, its Next Header is the one rewritten', () => {
    const r = new FragmentReassembler();
    const unfragmentable = Uint8Array.from([...ipv6Header(0, 0), ...HOP_BY_HOP_TO_FRAGMENT]);
    r.addIpv6(unfragmentable, PAYLOAD.subarray(0, 48), SRC6, DST6, 5, 17, 0, true, 0);
    const packet = complete(r.addIpv6(unfragmentable, PAYLOAD.subarray(48), SRC6, DST6, 5, 17, 48, false, 0));
    // Payload length = 8 (Hop-by-Hop) + 64 = 72 (0x48); IPv6 Next Header stays 0, HbH's becomes 17.
    assert.deepEqual(
      packet,
      Uint8Array.from([...ipv6Header(0, 72), 17, 0, 0x01, 0x04, 0, 0, 0, 0, ...PAYLOAD]),
    );
  });

  test('the unfragmentable part and next header come from the offset-0 fragment (RFC 8200 §4.5)', () => {
    const r = new FragmentReassembler();
    const later = Uint8Array.from(ipv6Header(44, 0, 1));
    r.addIpv6(later, PAYLOAD.subarray(32), SRC6, DST6, 6, 59, 32, false, 0);
    const first = Uint8Array.from(ipv6Header(44, 0, 64));
    const packet = complete(r.addIpv6(first, PAYLOAD.subarray(0, 32), SRC6, DST6, 6, 17, 0, true, 0));
    assert.equal(packet[7], 64, 'hop limit of the first fragment');
    assert.equal(packet[6], 17, 'next header of the first fragment');
  });

  test('an atomic fragment (offset 0, M clear) is returned at once, apart from other fragments (RFC 6946)', () => {
    const r = new FragmentReassembler();
    const unfragmentable = Uint8Array.from(ipv6Header(44, 0));
    r.addIpv6(unfragmentable, PAYLOAD.subarray(0, 32), SRC6, DST6, 7, 17, 0, true, 0);
    const packet = complete(
      r.addIpv6(unfragmentable, PAYLOAD.subarray(0, 16), SRC6, DST6, 7, 17, 0, false, 0),
    );
    assert.deepEqual(packet, Uint8Array.from([...ipv6Header(17, 16), ...PAYLOAD.subarray(0, 16)]));
    assert.equal(r.datagramsHeld, 1, 'the other datagram with the same id is untouched');
  });

  test('same identification from different sources never mixes', () => {
    const r = new FragmentReassembler();
    const unfragmentable = Uint8Array.from(ipv6Header(44, 0));
    r.addIpv6(unfragmentable, PAYLOAD.subarray(0, 32), SRC6, DST6, 8, 17, 0, true, 0);
    assert.equal(
      r.addIpv6(unfragmentable, PAYLOAD.subarray(32), DST6, SRC6, 8, 17, 32, false, 0).status,
      'pending',
    );
    assert.equal(r.datagramsHeld, 2);
  });

  test('malformed unfragmentable parts and oversized datagrams are dropped with stable codes', () => {
    const r = new FragmentReassembler();
    const overrun = Uint8Array.from([...ipv6Header(0, 0), 44, 1, 0, 0]); // HbH claims 16 bytes, 4 present
    const bad = r.addIpv6(overrun, PAYLOAD, SRC6, DST6, 9, 17, 0, true, 0);
    assert.deepEqual(bad, { status: 'dropped', reason: 'ipfrag.bad_header' });
    const big = r.addIpv6(
      Uint8Array.from(ipv6Header(44, 0)),
      PAYLOAD.subarray(0, 16),
      SRC6,
      DST6,
      9,
      17,
      65528,
      false,
      0,
    );
    assert.deepEqual(big, { status: 'dropped', reason: 'ipfrag.too_big' });
    const shortSrc = r.addIpv6(
      Uint8Array.from(ipv6Header(44, 0)),
      PAYLOAD,
      SRC6.subarray(0, 4),
      DST6,
      9,
      17,
      8,
      true,
      0,
    );
    assert.deepEqual(shortSrc, { status: 'dropped', reason: 'ipfrag.bad_header' });
  });
});
