import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { corpusPcap } from '../helpers/corpus.js';
import { TCP_ACK, TCP_FIN, TCP_SYN, TcpReassembler } from '../../src/flow/tcp-reassembly.js';
import { tsharkFollowAll } from './helpers/capture.js';
import { RecordingSink } from './helpers/recording-sink.js';

/** A piece of one direction's stream: [offset, offset + bytes.length). */
interface Piece {
  dir: 0 | 1;
  offset: number;
  bytes: Uint8Array;
}

const none = new Uint8Array(0);
let streams: [Buffer, Buffer];

before(() => {
  // The original byte streams come from tshark's reassembly of a real HTTP exchange.
  const [followed] = tsharkFollowAll(corpusPcap('pcapplusplus__one_http_stream_fin.pcap'), 1);
  streams = followed.bytes;
  assert.ok(streams[0].length > 300 && streams[1].length > 3000);
});

function setup(): { sink: RecordingSink; r: TcpReassembler; isn: [number, number]; conflicts: () => number } {
  const sink = new RecordingSink();
  const r = new TcpReassembler(sink);
  return { sink, r, isn: [0, 0], conflicts: () => r.stats.overlapConflicts };
}

/** SYN of each direction; stream offset 0 then has sequence number isn + 1 (mod 2^32). */
function open(r: TcpReassembler, isn: [number, number]): void {
  r.segment(0, isn[0], 0, TCP_SYN, none, 0);
  r.segment(1, isn[1], (isn[0] + 1) >>> 0, TCP_SYN | TCP_ACK, none, 0);
}

function send(r: TcpReassembler, isn: [number, number], p: Piece, flags = 0): void {
  r.segment(p.dir, (isn[p.dir] + 1 + p.offset) >>> 0, 0, flags, p.bytes, 0);
}

function cut(dir: 0 | 1, data: Uint8Array, points: number[]): Piece[] {
  const sorted = [...new Set(points.filter((p) => p > 0 && p < data.length))].sort((a, b) => a - b);
  const edges = [0, ...sorted, data.length];
  return edges.slice(1).map((end, i) => ({ dir, offset: edges[i], bytes: data.subarray(edges[i], end) }));
}

describe('split and reorder real streams', () => {
  test('every split offset, second half first, with the sequence wrap at that same offset', () => {
    for (const dir of [0, 1] as const) {
      const data = streams[dir];
      for (let k = 1; k < data.length; k++) {
        const { sink, r } = setup();
        // Offset k has sequence number 0: the 32-bit wrap falls exactly on the split.
        const isn: [number, number] = [0, 0];
        isn[dir] = (0x100000000 - k - 1) >>> 0;
        open(r, isn);
        const [first, second] = cut(dir, data, [k]);
        send(r, isn, second);
        send(r, isn, first);
        assert.ok(sink.bytes(dir).equals(data), `dir ${dir} split at ${k}`);
        assert.equal(r.bufferedBytes, 0);
      }
    }
  });

  test('random segmentation, reordering, duplicates and overlapping retransmissions give back the original', () => {
    const piecesOf = (dir: 0 | 1) =>
      fc.record({
        cuts: fc.array(fc.nat(streams[dir].length), { maxLength: 40 }),
        retransmits: fc.array(fc.tuple(fc.nat(streams[dir].length), fc.integer({ min: 1, max: 1500 })), {
          maxLength: 10,
        }),
      });
    fc.assert(
      fc.property(
        piecesOf(0),
        piecesOf(1),
        fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)),
        fc.infiniteStream(fc.nat()),
        (p0, p1, isn, order) => {
          const pieces: Piece[] = [];
          for (const [dir, p] of [
            [0, p0],
            [1, p1],
          ] as const) {
            const data = streams[dir];
            pieces.push(...cut(dir, data, p.cuts));
            for (const [at, len] of p.retransmits)
              pieces.push({ dir, offset: at, bytes: data.subarray(at, at + len) });
          }
          const shuffled = shuffle(pieces, order);
          const { sink, r, conflicts } = setup();
          open(r, isn);
          for (const piece of shuffled) send(r, isn, piece);
          r.end(1);
          assert.ok(sink.bytes(0).equals(streams[0]));
          assert.ok(sink.bytes(1).equals(streams[1]));
          assert.deepEqual(sink.gaps, [[], []]);
          assert.equal(conflicts(), 0);
        },
      ),
      { numRuns: 150, seed: 20261121 },
    );
  });

  test('a stream picked up mid-connection delivers from the first segment seen on', () => {
    const data = streams[1];
    const pieces = cut(1, data, [500, 1000, 1460, 2920]);
    for (let start = 1; start < pieces.length; start++) {
      const { sink, r } = setup();
      const isn: [number, number] = [7, 0xfffff000];
      for (const p of pieces.slice(start)) send(r, isn, p, TCP_ACK);
      r.end(1);
      assert.ok(sink.bytes(1).equals(data.subarray(pieces[start].offset)));
      assert.deepEqual(sink.gaps, [[], []]);
    }
  });

  test('dropped segments become gaps of exactly their size, the rest is delivered around them', () => {
    const data = streams[1];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: data.length - 1 }), { minLength: 2, maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 31, maxLength: 31 }),
        fc.nat(0xffffffff),
        (points, keep, isn1) => {
          const pieces = cut(1, data, points);
          const isn: [number, number] = [1, isn1];
          const { sink, r } = setup();
          open(r, isn);
          const expected: (string | number)[] = [];
          pieces.forEach((p, i) => {
            const kept = i === 0 || keep[i];
            if (kept) send(r, isn, p);
            pushRun(expected, kept ? 'data' : p.bytes.length, p.bytes.length);
          });
          // The FIN tells where the stream ends, so even trailing missing data has a known size.
          r.segment(1, (isn[1] + 1 + data.length) >>> 0, 0, TCP_FIN, none, 0);
          r.end(1);
          const got: (string | number)[] = [];
          for (const e of sink.events) {
            if (e.kind === 'data') pushRun(got, 'data', e.bytes.length);
            if (e.kind === 'gap') pushRun(got, e.length, e.length);
          }
          assert.deepEqual(got, expected);
          const kept = sink.withGaps(1);
          for (const e of sink.events) if (e.kind === 'data') assert.ok(e.bytes.length > 0);
          assert.equal(kept.length, data.length);
        },
      ),
      { numRuns: 150, seed: 4242 },
    );
  });
});

/**
 * Collapses runs so that the expectation does not depend on how delivery was chunked:
 * consecutive data pieces merge into one 'data' run, consecutive missing pieces into one gap.
 */
function pushRun(runs: (string | number)[], item: string | number, length: number): void {
  const last = runs.length > 0 ? runs[runs.length - 1] : undefined;
  if (item === 'data') {
    if (last !== 'data') runs.push('data');
  } else if (typeof last === 'number') {
    runs[runs.length - 1] = last + length;
  } else {
    runs.push(length);
  }
}

function shuffle<T>(items: T[], random: Iterator<number>): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (random.next().value as number) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
