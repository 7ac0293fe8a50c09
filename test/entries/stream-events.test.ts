/**
 * The plane's one event queue: each stream gets its own events back in the order they were
 * queued, however the streams interleave and however many are queued (past the first
 * columns' size), and the queue starts over once everything was replayed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Direction, StreamDissector } from '../../src/dissect/types.js';
import { StreamEventQueue, type EventChain } from '../../src/pipeline/stream-events.js';

const chain = (): EventChain => ({ firstEvent: -1, lastEvent: -1 });

/** Writes down what it is given, as text. */
function recorder(): StreamDissector & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    data: (dir: Direction, bytes: Uint8Array, tsUs: number) =>
      seen.push(`data ${dir} ${bytes.join(',')} @${tsUs}`),
    gap: (dir: Direction, length: number, tsUs: number) => seen.push(`gap ${dir} ${length} @${tsUs}`),
    end: (tsUs: number) => seen.push(`end @${tsUs}`),
  };
}

test('interleaved streams each get their events in order; bytes replayed are counted', () => {
  const q = new StreamEventQueue<EventChain>();
  const a = chain();
  const b = chain();
  q.data(a, 0, Uint8Array.of(1, 2), 10);
  q.data(b, 1, Uint8Array.of(9), 11);
  q.gap(a, 1, 5000, 12);
  q.data(a, 1, Uint8Array.of(3), 13);
  q.end(b, 14);
  assert.equal(q.queued(a), 3);
  assert.equal(q.queued(b), 2);
  const ra = recorder();
  assert.equal(q.drainInto(a, ra), 3);
  assert.deepEqual(ra.seen, ['data 0 1,2 @10', 'gap 1 5000 @12', 'data 1 3 @13']);
  assert.equal(q.queued(a), 0);
  const rb = recorder();
  assert.equal(q.drainInto(b, rb), 1);
  assert.deepEqual(rb.seen, ['data 1 9 @11', 'end @14']);
  assert.equal(q.drainInto(b, rb), 0, 'nothing twice');
});

test('a thousand events over three streams (the columns grow) come back whole, then the queue starts over', () => {
  const q = new StreamEventQueue<EventChain>();
  const streams = [chain(), chain(), chain()];
  const expected: string[][] = [[], [], []];
  for (let i = 0; i < 1000; i++) {
    const s = i % 3;
    q.data(streams[s], (i & 1) as Direction, Uint8Array.of(i & 0xff), 1e15 + i);
    expected[s].push(`data ${i & 1} ${i & 0xff} @${1e15 + i}`);
  }
  for (let s = 0; s < 3; s++) {
    const r = recorder();
    q.drainInto(streams[s], r);
    assert.deepEqual(r.seen, expected[s]);
  }
  // Everything was replayed: the next event takes the first slot again.
  q.end(streams[0], 5);
  assert.deepEqual(streams[0], { firstEvent: 0, lastEvent: 0 });
});

test('waitingChains names each stream with events left (once), so they can be drained and the queue start over', () => {
  const q = new StreamEventQueue<EventChain>();
  const [a, b, c] = [chain(), chain(), chain()];
  q.data(a, 0, Uint8Array.of(1), 1);
  q.data(b, 0, Uint8Array.of(2), 2);
  q.data(a, 1, Uint8Array.of(3), 3);
  q.end(c, 4);
  q.drainInto(b, recorder());
  assert.deepEqual(q.waitingChains(), [a, c]);
  for (const left of q.waitingChains()) q.drainInto(left, recorder());
  assert.deepEqual(q.waitingChains(), []);
  q.end(b, 5);
  assert.deepEqual(b, { firstEvent: 0, lastEvent: 0 });
});
