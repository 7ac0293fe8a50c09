import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TurnRecorder } from '../../src/replay/script.js';

const RUNS = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
/** A fixed seed keeps `npm test` repeatable; `npm run fuzz` sets MESHTAP_FUZZ_SEED=random. */
const SEED = process.env.MESHTAP_FUZZ_SEED ?? '20261121';

/** One stream event: data from a side, or a gap of a side. */
const eventArb = fc.record({
  dir: fc.constantFrom(0 as const, 1 as const),
  gap: fc.boolean(),
  length: fc.integer({ min: 1, max: 40 }),
});

test('TurnRecorder keeps every byte, in order, and counts every answer byte once', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 60 }), fc.boolean(), (events, datagrams) => {
      const r = new TurnRecorder(datagrams, true);
      const sent: number[] = [];
      let serverTotal = 0;
      let counter = 0;
      for (const e of events) {
        if (e.gap) r.gap(e.dir, e.length, 0);
        else {
          const bytes = Uint8Array.from({ length: e.length }, () => counter++ & 0xff);
          if (e.dir === 0) sent.push(...bytes);
          r.data(e.dir, bytes, 0);
        }
        if (e.dir === 1) serverTotal += e.length;
      }
      r.end();
      const replayed = r.messages.flatMap((m) => [...m.bytes]);
      assert.deepEqual(replayed, sent);
      const answered = r.messages.reduce((s, m) => s + m.responseBytes, r.greetingBytes);
      assert.equal(answered, serverTotal);
      // A TCP turn ends only where the server answered: no two messages in a row without one.
      if (!datagrams) r.messages.slice(0, -1).forEach((m) => assert.ok(m.responseBytes > 0));
      const clientGaps = events.filter((e) => e.gap && e.dir === 0).reduce((s, e) => s + e.length, 0);
      assert.equal(
        r.messages.reduce((s, m) => s + m.gapBytes, 0),
        clientGaps,
      );
    }),
    { numRuns: RUNS, ...(SEED === 'random' ? {} : { seed: Number(SEED) }) },
  );
});
