import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HpackDecoder } from '../../src/dissect/http2/hpack/decoder.js';
import { detectHttp2, http2Dissector } from '../../src/dissect/http2/index.js';
import { decodeRawProtobuf } from '../../src/dissect/protobuf/index.js';
import { collectingContext, concat, frame, hex, literal, PREFACE } from '../dissect/http2/support.js';

const numRuns = Number(process.env.MESHTAP_FUZZ_RUNS ?? 300);

const GRPC_CALL = [
  concat(
    PREFACE,
    frame(4, 0, 0, '000100001000'),
    frame(
      1,
      0x24,
      1,
      concat(
        hex('00000000 10 83 86'),
        literal(':path', '/a.B/C'),
        literal('content-type', 'application/grpc'),
      ),
    ),
    frame(9, 4, 1, literal('grpc-timeout', '5m')),
    frame(0, 9, 1, hex('02 00 00000003 089601 0000')),
  ),
  concat(
    frame(4, 0, 0),
    frame(1, 4, 1, hex('88 40 0c 636f6e74656e742d74797065 10 6170706c69636174696f6e2f67727063')),
    frame(0, 0, 1, hex('0000000002 0801')),
    frame(1, 5, 1, hex('be c0')),
  ),
];

const chunk = fc.record({ dir: fc.constantFrom<0 | 1>(0, 1), bytes: fc.uint8Array({ maxLength: 300 }) });

const MAX_HEADER_BYTES = 4096;

/**
 * Feeds the chunks (a 1-byte chunk is a gap of that many bytes) and checks what the
 * dissector declared it keeps. The two HPACK tables may grow to their cap from 2-byte
 * representations (32 bytes of overhead an entry, RFC 7541 §4.1), beyond the input.
 */
function runChunks(chunks: Array<{ dir: 0 | 1; bytes: Uint8Array }>): void {
  const c = collectingContext({
    maxBodyBytes: 4096,
    maxHeaderBytes: MAX_HEADER_BYTES,
    maxPendingExchanges: 16,
  });
  const d = http2Dissector.create(c.ctx);
  let ts = 0;
  let fed = 0;
  for (const ch of chunks) {
    if (ch.bytes.length === 1) d.gap(ch.dir, ch.bytes[0], ts++);
    else d.data(ch.dir, ch.bytes, ts++);
    if (ch.bytes.length !== 1) fed += ch.bytes.length;
  }
  d.end(ts);
  c.ledger.assertBalanced(fed, c.ctx.limits.maxPendingExchanges, 2 * MAX_HEADER_BYTES);
}

test('random bytes (after a preface or not) never throw', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.array(chunk, { maxLength: 12 }), (preface, chunks) => {
      runChunks(preface ? [{ dir: 0, bytes: PREFACE }, ...chunks] : chunks);
    }),
    { numRuns },
  );
});

test('mutated valid conversations never throw', () => {
  const mutation = fc.record({
    side: fc.constantFrom(0, 1),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
    kind: fc.constantFrom('flip', 'insert', 'delete', 'cut'),
  });
  fc.assert(
    fc.property(
      fc.array(mutation, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (mutations, cuts) => {
        const sides = GRPC_CALL.map((b) => Array.from(b));
        for (const m of mutations) {
          const s = sides[m.side];
          const at = m.at % (s.length + 1);
          if (m.kind === 'flip') s[at % s.length] = m.value;
          else if (m.kind === 'insert') s.splice(at, 0, m.value);
          else if (m.kind === 'delete') s.splice(at, 1);
          else s.length = at;
        }
        const chunks: Array<{ dir: 0 | 1; bytes: Uint8Array }> = [];
        for (const dir of [0, 1] as const) {
          let from = 0;
          for (const cut of [
            ...cuts.map((c) => c % (sides[dir].length + 1)).sort((a, b) => a - b),
            sides[dir].length,
          ]) {
            if (cut > from + 1) chunks.push({ dir, bytes: Uint8Array.from(sides[dir].slice(from, cut)) });
            from = Math.max(from, cut);
          }
        }
        runChunks(chunks);
      },
    ),
    { numRuns },
  );
});

test('HPACK on random blocks never throws and the table stays under its cap', () => {
  const d = new HpackDecoder({ maxTableSize: 512, maxHeaderListSize: 1024 }, true);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (block) => {
      const out: Array<{ name: string; value: string }> = [];
      d.decode(block, 0, block.length, out);
      assert.ok(d.table.size <= 512);
      assert.ok(out.reduce((n, f) => n + f.name.length + f.value.length + 32, 0) <= 1024);
    }),
    { numRuns },
  );
});

test('raw protobuf and detection on random bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom<0 | 1>(0, 1), (bytes, dir) => {
      decodeRawProtobuf(bytes);
      assert.ok(['yes', 'no', 'need-more'].includes(detectHttp2(dir, bytes)));
    }),
    { numRuns },
  );
});

test('memory bounds: a CONTINUATION flood and a stream-opening flood stay bounded', () => {
  const c = collectingContext({ maxHeaderBytes: 1024, maxPendingExchanges: 8 });
  const d = http2Dissector.create(c.ctx);
  d.data(0, concat(PREFACE, frame(4, 0, 0), frame(1, 0, 1, hex('82'))), 0);
  const filler = frame(9, 0, 1, new Uint8Array(1000));
  for (let i = 0; i < 1000; i++) d.data(0, filler, i);
  d.data(0, frame(9, 5, 1, hex('84')), 1001);
  // 100 requests never answered: at most 8 are pending; the oldest are emitted as 'evicted'.
  for (let id = 3; id < 203; id += 2) d.data(0, frame(1, 5, id, hex('82 84 86')), 2000 + id);
  const evicted = c.entries.filter((e) => e.flags.includes('evicted')).length;
  d.end(9999);
  assert.ok(c.entries[0].flags.includes('header_block_undecodable'));
  assert.equal(evicted, 101 - 8);
  assert.equal(c.entries.length, 101);
});
