import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decapVxlan, VXLAN_HEADER_BYTES } from '../../src/mirror/vxlan-decap.js';

const numRuns = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
const REASONS = new Set(['too_short', 'no_vni_flag', 'inner_too_short', 'wrong_vni']);

test('decapVxlan never throws on random bytes; it returns a named reason or the view after the header', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.option(fc.integer({ min: 0, max: 0xffffff })),
      fc.nat({ max: 8 }),
      (bytes, wantVni, lead) => {
        // Start the payload inside a larger buffer, as a datagram view would be.
        const backing = new Uint8Array(lead + bytes.length);
        backing.set(bytes, lead);
        const payload = backing.subarray(lead);
        const result = decapVxlan(payload, wantVni);
        if (typeof result === 'string') {
          assert.ok(REASONS.has(result), result);
          return;
        }
        assert.equal(result.buffer, payload.buffer);
        assert.equal(result.byteOffset, payload.byteOffset + VXLAN_HEADER_BYTES);
        assert.equal(result.length, payload.length - VXLAN_HEADER_BYTES);
      },
    ),
    { numRuns },
  );
});
