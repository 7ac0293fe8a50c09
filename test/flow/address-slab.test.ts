import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSlab } from '../../src/flow/address-slab.js';

test('address copies keep their bytes when the source changes, across slab boundaries', () => {
  const slab = new AddressSlab();
  const source = new Uint8Array(16);
  const copies: Array<[Uint8Array, number[]]> = [];
  // 10,000 IPv6 and IPv4 addresses: 100,000 bytes, more than one 64 KiB slab.
  for (let i = 0; i < 10_000; i++) {
    const length = i % 2 === 0 ? 16 : 4;
    for (let b = 0; b < length; b++) source[b] = (i * 31 + b * 7) & 0xff;
    const addr = source.subarray(0, length);
    copies.push([slab.copy(addr), [...addr]]);
    source.fill(0xee); // the packet buffer is reused: a copy must not see this
  }
  for (const [copy, expected] of copies) assert.deepEqual([...copy], expected);
  const buffers = new Set(copies.map(([c]) => c.buffer));
  assert.equal(buffers.size, 2, 'two slabs for 100,000 bytes');
});
