import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { corpusCaptures } from '../helpers/corpus.js';
import { CAPTURE_ERROR_CODES, openCapture, readCaptureBuffer } from '../../src/pcap/index.js';
import type { PacketRecord } from '../../src/pcap/index.js';

const numRuns = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);
const KNOWN_CODES = new Set<string>(Object.values(CAPTURE_ERROR_CODES));
const REGRESS_DIR = new URL('../fixtures/regress/pcap/', import.meta.url).pathname;
const corpus = corpusCaptures().map((p) => readFileSync(p));

/** Invariants every result must keep, whatever the bytes. */
function checkBufferResult(input: Uint8Array): PacketRecord[] {
  const got = readCaptureBuffer(input);
  if (got.error) assert.ok(KNOWN_CODES.has(got.error.code), got.error.code);
  if (got.error) assert.ok(got.error.offset >= 0 && got.error.offset <= input.length);
  let bytes = 0;
  for (const r of got.records) {
    bytes += r.data.length;
    assert.ok(r.tsNsec >= 0 && r.tsNsec < 1e9 && Number.isInteger(r.tsNsec));
    assert.ok(r.interfaceId >= 0 && r.interfaceId < Math.max(1, got.interfaces.length));
  }
  // Record bytes are views of distinct parts of the input: they cannot add up to more.
  assert.ok(bytes <= input.length);
  return got.records;
}

async function checkStreamAgrees(input: Uint8Array, chunk: number): Promise<void> {
  const expected = readCaptureBuffer(input);
  const stream = new PassThrough();
  for (let i = 0; i < input.length; i += chunk) stream.write(input.subarray(i, i + chunk));
  stream.end();
  const reader = await openCapture(stream, { batchSize: 5 });
  const lengths: number[] = [];
  for await (const batch of reader.batches()) for (const r of batch) lengths.push(r.data.length);
  assert.deepEqual(
    lengths,
    expected.records.map((r) => r.data.length),
  );
  assert.equal(reader.error?.code, expected.error?.code);
}

/** Overwrites a few bytes of a corpus file: damage that keeps most framing intact. */
const mutatedCorpusFile = fc
  .record({
    file: fc.integer({ min: 0, max: corpus.length - 1 }),
    edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
    cut: fc.option(fc.nat()),
  })
  .map(({ file, edits, cut }) => {
    const copy = Uint8Array.from(corpus[file]);
    for (const e of edits) copy[e.at % copy.length] = e.value;
    return cut === null ? copy : copy.subarray(0, cut % (copy.length + 1));
  });

/** Random bytes behind a valid magic, so the parsers rather than the detector see them. */
const magics = [
  [0xd4, 0xc3, 0xb2, 0xa1],
  [0xa1, 0xb2, 0x3c, 0x4d],
  [0x0a, 0x0d, 0x0d, 0x0a],
];
const randomAfterMagic = fc
  .tuple(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 600 }))
  .map(([m, rest]) => Uint8Array.from([...m, ...rest]));

describe('capture reader fuzzing', () => {
  test('regression inputs', () => {
    if (!existsSync(REGRESS_DIR)) return;
    for (const f of readdirSync(REGRESS_DIR)) checkBufferResult(readFileSync(join(REGRESS_DIR, f)));
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => void checkBufferResult(b)),
      { numRuns },
    );
    fc.assert(
      fc.property(randomAfterMagic, (b) => void checkBufferResult(b)),
      { numRuns },
    );
  });

  test('mutated corpus files never throw', () => {
    fc.assert(
      fc.property(mutatedCorpusFile, (b) => void checkBufferResult(b)),
      { numRuns },
    );
  });

  test('the streaming reader agrees with the buffer reader on damaged input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mutatedCorpusFile, randomAfterMagic),
        fc.integer({ min: 1, max: 4096 }),
        checkStreamAgrees,
      ),
      { numRuns: Math.max(20, Math.floor(numRuns / 5)) },
    );
  });
});
