/**
 * Fuzzing the HTTP/1.x, DNS and Diameter dissectors: random and mutated byte streams, split
 * at random offsets and mixed with gaps, never make them throw; valid streams give the same
 * entries however they are split; kept state stays within the limits.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { diameterDissector } from '../../src/dissect/diameter/index.js';
import { dnsDissector } from '../../src/dissect/dns/index.js';
import { http1Dissector } from '../../src/dissect/http1/index.js';
import type { DissectorFactory } from '../../src/dissect/types.js';
import { feed, recordingContext, resplit, type Chunk, type ContextOptions } from '../dissect/dns/harness.js';

const numRuns = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);

const HTTP_SAMPLE = [
  'POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n',
  'GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00',
];
const DNS_SAMPLE = Buffer.from(
  '0017abcd01000001000000000000076578616d706c6503636f6d0000010001' +
    '0030abcd81800001000100000000076578616d706c6503636f6d0000010001c00c000100010000003c00045db8d822',
  'hex',
);
// CCR (version 1, length 68, flags R|P, code 272, app 4, hop-by-hop 1, end-to-end 1) with
// Session-Id (263, length 11, "s;1" + 1 pad byte) and a grouped Subscription-Id (443, length 36)
// holding Subscription-Id-Type (450) = 1 and Subscription-Id-Data (444, length 15, "0010123" + 1 pad byte).
const DIAMETER_SAMPLE = Buffer.from(
  '01000044c00001100000000400000001000000010000010740' +
    '00000b733b3100000001bb40000024000001c24000000c00000001000001bc4000000f3030313031323300',
  'hex',
);

const CASES: Array<[string, DissectorFactory, ContextOptions, Chunk[]]> = [
  [
    'http1',
    http1Dissector,
    {},
    HTTP_SAMPLE.map((t, i) => ({ dir: (i % 2) as 0 | 1, bytes: Buffer.from(t, 'latin1'), tsUs: i })),
  ],
  ['dns', dnsDissector, { transport: 'tcp' }, [{ dir: 0, bytes: DNS_SAMPLE, tsUs: 1 }]],
  ['diameter', diameterDissector, {}, [{ dir: 0, bytes: DIAMETER_SAMPLE, tsUs: 1 }]],
];

const LIMITS = { maxBodyBytes: 64, maxHeaderBytes: 512, maxPendingExchanges: 4 };

/** A chunk is data, or a gap when `gap` is set. */
const chunkArb = fc.record({
  dir: fc.constantFrom<0 | 1>(0, 1),
  bytes: fc.uint8Array({ maxLength: 200 }),
  gap: fc.option(fc.integer({ min: 1, max: 5000 }), { freq: 8 }),
});

function mutate(sample: Chunk[], edits: Array<[number, number]>): Chunk[] {
  return sample.map((c, i) => {
    const bytes = Uint8Array.from(c.bytes);
    for (const [at, value] of edits)
      if (bytes.length > 0 && at % sample.length === i) bytes[at % bytes.length] = value;
    return { ...c, bytes };
  });
}

describe('fuzz: http1, dns, diameter never throw', () => {
  for (const [name, factory, opts] of CASES) {
    for (const transport of name === 'dns' ? (['udp', 'tcp'] as const) : (['tcp'] as const)) {
      test(`${name}/${transport}: random chunks and gaps`, () => {
        fc.assert(
          fc.property(fc.array(chunkArb, { maxLength: 30 }), (chunks) => {
            const { ctx, rec, ledger } = recordingContext({ ...opts, transport, limits: LIMITS });
            const d = factory.create(ctx);
            chunks.forEach((c, i) => (c.gap ? d.gap(c.dir, c.gap, i) : d.data(c.dir, c.bytes, i)));
            d.end(chunks.length);
            for (const e of rec.entries) assertBodiesBounded(e.request, e.response);
            const fed = chunks.reduce((n, c) => n + (c.gap ? 0 : c.bytes.length), 0);
            ledger.assertBalanced(fed, LIMITS.maxPendingExchanges + 1);
          }),
          { numRuns },
        );
      });
    }
  }

  for (const [name, factory, opts, sample] of CASES) {
    test(`${name}: mutated valid input, split at random offsets`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          (edits, cuts) => {
            const input = mutate(sample, edits);
            const whole = feed(factory, input, { ...opts, limits: LIMITS });
            const split = feed(
              factory,
              resplit(input, (_dir, len) => cuts.map((c) => c % (len + 1)).sort((a, b) => a - b)),
              {
                ...opts,
                limits: LIMITS,
              },
            );
            assert.deepEqual(split, whole);
          },
        ),
        { numRuns },
      );
    });
  }
});

function assertBodiesBounded(...sides: Array<Record<string, unknown> | null>): void {
  for (const side of sides) {
    const body = side?.body as { text?: string; base64?: string } | null | undefined;
    if (body?.base64) assert.ok(Buffer.from(body.base64, 'base64').length <= LIMITS.maxBodyBytes);
    if (body?.text) assert.ok(Buffer.byteLength(body.text) <= LIMITS.maxBodyBytes * 4);
  }
}

describe('bounded state', () => {
  test('http1: unanswered pipelined requests beyond maxPendingExchanges go out early, flagged evicted', () => {
    const { ctx, rec } = recordingContext({ limits: LIMITS });
    const d = http1Dissector.create(ctx);
    for (let i = 0; i < 100; i++) d.data(0, Buffer.from(`GET /${i} HTTP/1.1\r\n\r\n`), i);
    assert.equal(rec.entries.length, 100 - LIMITS.maxPendingExchanges);
    assert.ok(rec.entries.every((e) => e.flags.includes('evicted')));
  });

  test('http1: a head that never ends is dropped at maxHeaderBytes', () => {
    const { ctx, rec } = recordingContext({ limits: LIMITS });
    const d = http1Dissector.create(ctx);
    d.data(0, Buffer.from('GET / HTTP/1.1\r\n'), 0);
    for (let i = 0; i < 1000; i++) d.data(0, Buffer.from(`X-${i}: ${'v'.repeat(100)}\r\n`), i);
    assert.ok(rec.anomalies.includes('http1.header_too_large'));
  });

  test('dns and diameter: unanswered requests beyond maxPendingExchanges go out early', () => {
    for (const [factory, bytes, transport] of [
      [dnsDissector, DNS_SAMPLE.subarray(2, 25), 'udp'],
      [diameterDissector, DIAMETER_SAMPLE, 'tcp'],
    ] as const) {
      const { ctx, rec } = recordingContext({ limits: LIMITS, transport });
      const d = factory.create(ctx);
      for (let i = 0; i < 50; i++) {
        const copy = Buffer.from(bytes);
        if (factory === dnsDissector) copy.writeUInt16BE(i, 0);
        else copy.writeUInt32BE(i, 12);
        d.data(0, copy, i);
      }
      assert.equal(rec.entries.length, 50 - LIMITS.maxPendingExchanges);
    }
  });

  test('diameter: a message longer than maxHeaderBytes is skipped without being buffered', () => {
    const { ctx, rec } = recordingContext({ limits: LIMITS });
    const d = diameterDissector.create(ctx);
    const big = Buffer.alloc(4096);
    big.writeUInt32BE(4096, 0);
    big[0] = 1;
    big.writeUInt32BE(272, 4);
    big[4] = 0x80;
    d.data(0, big.subarray(0, 100), 0);
    d.data(0, big.subarray(100), 1);
    d.data(0, DIAMETER_SAMPLE, 2);
    d.end(3);
    assert.deepEqual(rec.anomalies, ['diameter.message_too_large']);
    assert.equal(rec.entries.length, 1);
  });
});
