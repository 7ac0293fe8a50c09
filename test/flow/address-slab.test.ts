import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSlab } from '../../src/flow/address-slab.js';

test('address pairs keep their bytes when the source changes, across slab boundaries', () => {
  const slab = new AddressSlab();
  const source = new Uint8Array(32);
  const copies: Array<{ buffer: Uint8Array; at: number; expected: number[] }> = [];
  // 5,000 IPv6 and IPv4 pairs: 100,000 bytes, more than one 64 KiB slab.
  for (let i = 0; i < 5_000; i++) {
    const length = i % 2 === 0 ? 16 : 4;
    for (let b = 0; b < 2 * length; b++) source[b] = (i * 31 + b * 7) & 0xff;
    const expected = [...source.subarray(0, 2 * length)];
    const at = slab.place(source.subarray(0, length), source.subarray(length, 2 * length));
    copies.push({ buffer: slab.buffer, at, expected });
    source.fill(0xee); // the packet buffer is reused: a copy must not see this
  }
  for (const { buffer, at, expected } of copies)
    assert.deepEqual([...buffer.subarray(at, at + expected.length)], expected);
  assert.equal(new Set(copies.map((c) => c.buffer)).size, 2, 'two slabs for 100,000 bytes');
});
