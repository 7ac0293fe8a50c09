import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatCaptureTime, formatTimeUs } from '../../src/util/iso-time.js';

/** Date's own ISO text, to the millisecond, with the finer digits appended: the reference. */
function reference(ms: number, finer: string): string {
  return new Date(ms).toISOString().replace('Z', `${finer}Z`);
}

// Within Date's range (±8.64e15 ms) and exact in a double as microseconds.
const US = fc.integer({ min: -(2 ** 53 - 1), max: 2 ** 53 - 1 });

describe('ISO times without Date', () => {
  test('formatTimeUs matches toISOString with microseconds, times repeated or not', () => {
    fc.assert(
      fc.property(fc.array(US, { minLength: 1, maxLength: 8 }), (times) => {
        // Each time twice and its neighbour in the same second: the kept second must not leak.
        for (const us of times.flatMap((t) => [t, t, t + 1, t - 1_000_000])) {
          const ms = Math.floor(us / 1000);
          assert.equal(formatTimeUs(us), reference(ms, String(us - ms * 1000).padStart(3, '0')));
        }
      }),
    );
  });

  test('formatCaptureTime matches toISOString with nanoseconds', () => {
    fc.assert(
      fc.property(
        // Date holds ±8.64e15 ms: one second less, whatever the nanoseconds add.
        fc.integer({ min: -8.64e12 + 1, max: 8.64e12 - 1 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        (sec, nsec) => {
          const ms = sec * 1000 + Math.floor(nsec / 1_000_000);
          assert.equal(
            formatCaptureTime(sec, nsec),
            reference(ms, String(nsec % 1_000_000).padStart(6, '0')),
          );
        },
      ),
    );
  });

  test('hand-checked values, including years Date cannot hold', () => {
    assert.equal(formatTimeUs(1_700_000_000_000_040), '2023-11-14T22:13:20.000040Z');
    assert.equal(formatTimeUs(-1), '1969-12-31T23:59:59.999999Z');
    // 2^64 - 1 µs (a garbage pcapng timestamp): tshark shows year 586524 for it.
    assert.equal(formatCaptureTime(18_446_744_073_709, 551_615_000), '+586524-01-19T08:01:49.551615000Z');
  });
});
