/**
 * Random fragment streams: the reassembler never throws, every result is well formed, and the
 * memory it holds never exceeds its limits. Inputs that once failed go to
 * test/fixtures/regress/ipfrag/ (none so far).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FragmentReassembler, OVERLAP_POLICIES, type ReassemblyResult } from '../../src/flow/ipfrag/index.js';

const numRuns = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
const DROP_CODES = /^ipfrag\.[a-z_]+$/;

const fragmentArb = fc.record({
  v6: fc.boolean(),
  key: fc.integer({ min: 0, max: 3 }),
  // Mostly aligned small offsets so that fragments meet and overlap; sometimes anything.
  offset: fc.oneof(
    fc.integer({ min: 0, max: 40 }).map((u) => u * 8),
    fc.integer({ min: -8, max: 70000 }),
  ),
  length: fc.oneof(
    fc.integer({ min: 0, max: 8 }).map((u) => u * 8),
    fc.integer({ min: 0, max: 600 }),
  ),
  more: fc.boolean(),
  fill: fc.integer({ min: 0, max: 255 }),
  headerLength: fc.constantFrom(20, 24, 60, 12, 64),
  extra: fc.constantFrom(0, 8, 16, 3),
  dt: fc.integer({ min: -1000, max: 400_000 }),
});

const limitsArb = fc.record({
  maxDatagrams: fc.integer({ min: 1, max: 4 }),
  maxBytesTotal: fc.integer({ min: 100, max: 20_000 }),
  maxDatagramBytes: fc.integer({ min: 64, max: 65535 }),
  maxFragmentsPerDatagram: fc.integer({ min: 1, max: 20 }),
  timeoutUs: fc.integer({ min: 1, max: 2_000_000 }),
});

function checkResult(result: ReassemblyResult, v6: boolean): void {
  if (result.status === 'dropped') assert.match(result.reason, DROP_CODES);
  if (result.status !== 'complete') return;
  assert.ok(result.fragments >= 1);
  const p = result.packet;
  if (v6) assert.equal(((p[4] << 8) | p[5]) + 40, p.length, 'IPv6 payload length');
  else assert.equal((p[2] << 8) | p[3], p.length, 'IPv4 total length');
}

test('ipfrag fuzz: random fragment streams never throw and stay within limits', () => {
  fc.assert(
    fc.property(
      limitsArb,
      fc.constantFrom(...OVERLAP_POLICIES),
      fc.array(fragmentArb, { maxLength: 60 }),
      (limits, policy, fragments) => {
        const r = new FragmentReassembler(limits, policy);
        const src6 = new Uint8Array(16);
        const dst6 = new Uint8Array(16).fill(1);
        let ts = 0;
        let latest = 0;
        for (const f of fragments) {
          ts += f.dt;
          latest = Math.max(latest, ts);
          const payload = new Uint8Array(f.length).fill(f.fill);
          let result: ReassemblyResult;
          if (f.v6) {
            const unfragmentable = new Uint8Array(40 + f.extra);
            unfragmentable[0] = 0x60;
            unfragmentable[6] = f.extra === 0 ? 44 : 60;
            if (f.extra > 0) unfragmentable[40] = 44;
            result = r.addIpv6(unfragmentable, payload, src6, dst6, f.key, 17, f.offset, f.more, ts);
          } else {
            const header = new Uint8Array(f.headerLength);
            header[0] = 0x40 | (f.headerLength >> 2);
            result = r.addIpv4(header, payload, 1, 2, f.key, 17, f.offset, f.more, ts);
          }
          checkResult(result, f.v6);
          assert.ok(r.bytesHeld <= limits.maxBytesTotal, `bytes ${r.bytesHeld} > ${limits.maxBytesTotal}`);
          assert.ok(r.bytesHeld >= 0);
          assert.ok(r.datagramsHeld <= limits.maxDatagrams);
        }
        assert.equal(r.stats.fragments, fragments.length);
        r.expire(latest + limits.timeoutUs);
        assert.equal(r.datagramsHeld, 0);
        assert.equal(r.bytesHeld, 0);
      },
    ),
    { numRuns },
  );
});

test('ipfrag fuzz: any split of a datagram, fed in any order with duplicates, reassembles exactly', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 3000 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 374 }), { maxLength: 30 }),
      fc.constantFrom(...OVERLAP_POLICIES),
      fc.integer(),
      (payload, cutUnits, policy, seed) => {
        const cuts = cutUnits.map((u) => u * 8).filter((c) => c < payload.length);
        const bounds = [0, ...cuts.sort((a, b) => a - b), payload.length];
        const pieces = bounds.slice(0, -1).map((start, i) => ({ start, end: bounds[i + 1] }));
        // Deterministic shuffle from the seed, plus a duplicate of every third piece.
        const order = [...pieces, ...pieces.filter((_, i) => i % 3 === 0)];
        for (let i = order.length - 1, s = seed >>> 0; i > 0; i--) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          const j = s % (i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
        const r = new FragmentReassembler({}, policy);
        const header = new Uint8Array(20);
        header[0] = 0x45;
        let packet: Uint8Array | null = null;
        for (const { start, end } of order) {
          const more = end !== payload.length;
          const result = r.addIpv4(header, payload.subarray(start, end), 1, 2, 3, 17, start, more, 0);
          if (result.status === 'complete') {
            packet = result.packet;
            break;
          }
          assert.equal(result.status, 'pending');
        }
        assert.ok(packet !== null);
        assert.deepEqual(packet.subarray(20), payload);
        assert.equal((packet[2] << 8) | packet[3], 20 + payload.length);
      },
    ),
    { numRuns },
  );
});
