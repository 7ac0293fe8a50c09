/**
 * The flow table's index against a model (a set of the flows added and not removed): after
 * any sequence of adds and removes, across the array's growth, every flow in the model is
 * found on the chain of its hash and no other flow is on any chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FlowBuckets, type Chained } from '../../src/flow/flow-buckets.js';

class Item implements Chained<Item> {
  bucketNext: Item | null = null;
  constructor(readonly hash: number) {}
}

function chainOf(buckets: FlowBuckets<Item>, hash: number): Item[] {
  const items: Item[] = [];
  for (let f = buckets.first(hash); f !== null && items.length <= 100_000; f = f.bucketNext) items.push(f);
  return items;
}

function assertIndexes(buckets: FlowBuckets<Item>, live: Set<Item>, gone: readonly Item[]): void {
  for (const item of live)
    assert.ok(chainOf(buckets, item.hash).includes(item), `flow ${item.hash} is found`);
  for (const item of gone) {
    if (!live.has(item))
      assert.ok(!chainOf(buckets, item.hash).includes(item), `removed flow ${item.hash} is not`);
  }
}

test('every flow added and not removed is on its chain, through growth; removed ones are not', () => {
  const op = fc.oneof(
    // Few distinct hashes make long chains; negative ones are int32 hashes as flowHash gives.
    fc.record({ add: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ add: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ remove: fc.nat() }),
  );
  fc.assert(
    // Past 1024 adds the array grows at least once.
    fc.property(fc.array(op, { minLength: 1500, maxLength: 4000 }), (ops) => {
      const buckets = new FlowBuckets<Item>();
      const live = new Set<Item>();
      const all: Item[] = [];
      for (const o of ops) {
        if ('add' in o) {
          const item = new Item(o.add);
          buckets.add(item);
          live.add(item);
          all.push(item);
        } else if (all.length > 0) {
          const item = all[o.remove % all.length]!;
          buckets.remove(item); // removing twice is harmless
          live.delete(item);
        }
      }
      assertIndexes(buckets, live, all);
    }),
    // A failing sequence is thousands of operations long: shrinking it would take minutes.
    { numRuns: 10, endOnFailure: true },
  );
});

test('a flow with the same hash as others is removed from the middle and the end of its chain', () => {
  const buckets = new FlowBuckets<Item>();
  const [a, b, c] = [new Item(5), new Item(5), new Item(5 + 1024)];
  for (const item of [a, b, c]) buckets.add(item);
  assert.deepEqual(chainOf(buckets, 5), [c, b, a]);
  buckets.remove(b);
  assert.deepEqual(chainOf(buckets, 5), [c, a]);
  buckets.remove(a);
  assert.deepEqual(chainOf(buckets, 5), [c]);
  assert.equal(a.bucketNext, null);
});
