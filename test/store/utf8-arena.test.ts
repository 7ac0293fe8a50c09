// The arena that holds entries' JSON as UTF-8 until their transaction. Expected bytes are
// UTF-8 as RFC 3629 spells it: 'é' C3 A9, '€' E2 82 AC, '😀' (a surrogate pair) F0 9F 98 80.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Utf8Arena } from '../../src/store/utf8-arena.js';

const E_ACUTE = [0xc3, 0xa9];
const EURO = [0xe2, 0x82, 0xac];
const GRINNING = [0xf0, 0x9f, 0x98, 0x80];

test('every view keeps its own bytes until reset, across chunks and for texts larger than one', () => {
  const arena = new Utf8Arena();
  // 3,000 texts of 1,000 to 2,000 bytes fill several 1 MiB chunks; the last is over a chunk by itself.
  const kinds = [
    { char: 'é', count: 1000, bytes: E_ACUTE },
    { char: '€', count: 500, bytes: EURO },
    { char: '😀', count: 250, bytes: GRINNING },
  ];
  const texts = Array.from({ length: 3000 }, (_, i) => kinds[i % 3]!.char.repeat(kinds[i % 3]!.count));
  const views = texts.map((t) => arena.add(t));
  const large = arena.add('x'.repeat(400_000));
  for (const [i, view] of views.entries()) {
    const { count, bytes } = kinds[i % 3]!;
    assert.deepEqual(view, Buffer.from(Array.from({ length: count }, () => bytes).flat()), `text ${i}`);
  }
  assert.deepEqual(large, Buffer.alloc(400_000, 0x78)); // 'x'
});

test('after reset the chunks are written again from their start', () => {
  const arena = new Utf8Arena();
  const first = arena.add('€');
  arena.reset();
  const second = arena.add('é');
  assert.deepEqual([...second], E_ACUTE);
  assert.equal(second.buffer, first.buffer);
  assert.equal(second.byteOffset, first.byteOffset);
});
