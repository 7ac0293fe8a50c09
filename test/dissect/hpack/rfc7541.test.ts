import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder, type HeaderField } from '../../../src/dissect/http2/hpack/decoder.js';
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from '../../../src/dissect/http2/hpack/huffman-table.js';
import { huffmanDecode } from '../../../src/dissect/http2/hpack/huffman.js';

const LIMITS = { maxTableSize: 1 << 16, maxHeaderListSize: 1 << 16 };

function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

function decodeAll(d: HpackDecoder, block: string): HeaderField[] {
  const bytes = hex(block);
  const out: HeaderField[] = [];
  const r = d.decode(bytes, 0, bytes.length, out);
  assert.equal(r.status, 'complete');
  return out;
}

function fields(...pairs: Array<[string, string]>): HeaderField[] {
  return pairs.map(([name, value]) => ({ name, value }));
}

// Byte strings and expected header lists below are copied by hand from RFC 7541 Appendix C;
// "table size" is the RFC's "Table size" after each block.
const REQUEST_1 = fields(
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', '/'],
  [':authority', 'www.example.com'],
);
const REQUEST_2 = [...REQUEST_1, ...fields(['cache-control', 'no-cache'])];
const REQUEST_3 = fields(
  [':method', 'GET'],
  [':scheme', 'https'],
  [':path', '/index.html'],
  [':authority', 'www.example.com'],
  ['custom-key', 'custom-value'],
);
const RESPONSE_1 = fields(
  [':status', '302'],
  ['cache-control', 'private'],
  ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
  ['location', 'https://www.example.com'],
);
const RESPONSE_2 = fields(
  [':status', '307'],
  ['cache-control', 'private'],
  ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
  ['location', 'https://www.example.com'],
);
const RESPONSE_3 = fields(
  [':status', '200'],
  ['cache-control', 'private'],
  ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
  ['location', 'https://www.example.com'],
  ['content-encoding', 'gzip'],
  ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
);

type Step = [block: string, expected: HeaderField[], tableSize: number, tableEntries: number];

function runSequence(steps: Step[], settingsTableSize = 4096): void {
  const d = new HpackDecoder(LIMITS, true);
  d.table.setMaxSize(settingsTableSize);
  for (const [block, expected, size, entries] of steps) {
    assert.deepEqual(decodeAll(d, block), expected);
    assert.equal(d.table.size, size);
    assert.equal(d.table.length, entries);
  }
}

describe('RFC 7541 Appendix C', () => {
  test('C.2.1 literal with indexing', () => {
    runSequence([
      [
        '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572',
        fields(['custom-key', 'custom-header']),
        55,
        1,
      ],
    ]);
  });
  test('C.2.2 literal without indexing', () => {
    runSequence([['040c 2f73 616d 706c 652f 7061 7468', fields([':path', '/sample/path']), 0, 0]]);
  });
  test('C.2.3 literal never indexed', () => {
    runSequence([['1008 7061 7373 776f 7264 0673 6563 7265 74', fields(['password', 'secret']), 0, 0]]);
  });
  test('C.2.4 indexed field', () => {
    runSequence([['82', fields([':method', 'GET']), 0, 0]]);
  });
  test('C.3 requests without Huffman', () => {
    runSequence([
      ['8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', REQUEST_1, 57, 1],
      ['8286 84be 5808 6e6f 2d63 6163 6865', REQUEST_2, 110, 2],
      ['8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', REQUEST_3, 164, 3],
    ]);
  });
  test('C.4 requests with Huffman', () => {
    runSequence([
      ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', REQUEST_1, 57, 1],
      ['8286 84be 5886 a8eb 1064 9cbf', REQUEST_2, 110, 2],
      ['8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', REQUEST_3, 164, 3],
    ]);
  });
  test('C.5 responses without Huffman (table size 256, evictions)', () => {
    runSequence(
      [
        [
          '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
          RESPONSE_1,
          222,
          4,
        ],
        ['4803 3330 37c1 c0bf', RESPONSE_2, 222, 4],
        [
          '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
          RESPONSE_3,
          215,
          3,
        ],
      ],
      256,
    );
  });
  test('C.6 responses with Huffman (table size 256, evictions)', () => {
    runSequence(
      [
        [
          '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
          RESPONSE_1,
          222,
          4,
        ],
        ['4883 640e ffc1 c0bf', RESPONSE_2, 222, 4],
        [
          '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
          RESPONSE_3,
          215,
          3,
        ],
      ],
      256,
    );
  });
});

describe('Huffman table (RFC 7541 Appendix B)', () => {
  test('is a complete canonical prefix code over 257 symbols', () => {
    assert.equal(HUFFMAN_CODES.length, 257);
    let kraft = 0;
    for (const len of HUFFMAN_LENGTHS) kraft += 2 ** -len;
    assert.equal(kraft, 1);
    // Canonical: sorted by (length, symbol), each code is the previous plus one, shifted to its length.
    const order = [...HUFFMAN_LENGTHS.keys()].sort(
      (a, b) => HUFFMAN_LENGTHS[a] - HUFFMAN_LENGTHS[b] || a - b,
    );
    let code = 0;
    for (let i = 1; i < order.length; i++) {
      code = (code + 1) * 2 ** (HUFFMAN_LENGTHS[order[i]] - HUFFMAN_LENGTHS[order[i - 1]]);
      assert.equal(HUFFMAN_CODES[order[i]], code, `symbol ${order[i]}`);
    }
  });
  test('rejects EOS in the string and padding that is not all ones or longer than 7 bits', () => {
    const out = new Uint8Array(64);
    // 'a' is 00011 (RFC table); padded with 111 -> 0x1f is valid.
    assert.equal(huffmanDecode(hex('1f'), 0, 1, out, 0), 1);
    assert.equal(out[0], 0x61);
    // 00011 000: padding with zeros is invalid.
    assert.equal(huffmanDecode(hex('18'), 0, 1, out, 0), -1);
    // 'a' then a full byte of ones: 8+3 bits of padding, more than 7.
    assert.equal(huffmanDecode(hex('1fff'), 0, 2, out, 0), -1);
    // EOS (30 ones) explicitly encoded.
    assert.equal(huffmanDecode(hex('ffffffff'), 0, 4, out, 0), -1);
  });
});

describe('HPACK decoder robustness', () => {
  test('a dynamic reference with unknown state is undecodable, not wrong', () => {
    const d = new HpackDecoder(LIMITS, false);
    const out: HeaderField[] = [];
    // C.3.2's block references index 62 (the authority inserted by C.3.1, which this decoder never saw).
    const block = hex('8286 84be 5808 6e6f 2d63 6163 6865');
    const r = d.decode(block, 0, block.length, out);
    assert.equal(r.status, 'undecodable');
    assert.equal(r.anomaly, null);
    assert.deepEqual(
      out,
      fields([':method', 'GET'], [':scheme', 'http'], [':path', '/'], ['cache-control', 'no-cache']),
    );
    // C.3.3 references 63 (the authority, unknown here); the cache-control entry we saw inserted is known.
    const third = hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65');
    const out3: HeaderField[] = [];
    assert.equal(d.decode(third, 0, third.length, out3).status, 'undecodable');
    assert.ok(!out3.some((f) => f.name === ':authority'));
    assert.equal(d.table.name(63), 'cache-control');
  });
  test('in a synced context an out-of-range index is an anomaly', () => {
    const d = new HpackDecoder(LIMITS, true);
    const out: HeaderField[] = [];
    const r = d.decode(hex('be'), 0, 1, out);
    assert.equal(r.status, 'undecodable');
    assert.equal(r.anomaly, 'http2.hpack_index_out_of_range');
  });
  test('malformed blocks clear the table', () => {
    const d = new HpackDecoder(LIMITS, true);
    decodeAll(d, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572');
    for (const bad of ['80', '4a', '410f 7777', '7fffffffffff7f']) {
      const bytes = hex(bad);
      assert.equal(d.decode(bytes, 0, bytes.length, []).status, 'malformed', bad);
    }
    assert.equal(d.table.length, 0);
    assert.equal(d.isSynced, false);
  });
  test('size updates evict, and the memory cap holds whatever the peer asks', () => {
    const d = new HpackDecoder({ maxTableSize: 100, maxHeaderListSize: 1000 }, true);
    decodeAll(d, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572');
    assert.equal(d.table.size, 55);
    // Size update to 0 (001 00000) empties the table.
    decodeAll(d, '20');
    assert.equal(d.table.size, 0);
    // Size update to 4096 (3fe1 1f), then two 55-byte entries: the 100-byte cap keeps one.
    decodeAll(
      d,
      '3fe1 1f 400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572 400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572',
    );
    assert.equal(d.table.length, 1);
  });
  test('header list size is capped but table updates still apply', () => {
    const d = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 60 }, true);
    const out: HeaderField[] = [];
    const block = hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d');
    const r = d.decode(block, 0, block.length, out);
    assert.equal(r.listTruncated, true);
    assert.ok(out.length < 4);
    assert.equal(d.table.size, 57);
  });
});
