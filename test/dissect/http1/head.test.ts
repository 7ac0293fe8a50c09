import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headLines, lastValue, listsToken, parseHeaderLines } from '../../../src/dissect/http1/head.js';

/** The header fields of a head written as text (latin1, as the dissector reads heads). */
function fields(head: string) {
  const bytes = Buffer.from(head, 'latin1');
  return parseHeaderLines(headLines(bytes, 0, bytes.length), 0, () => {});
}

describe('HTTP/1 header field lookup (RFC 9110 §5.1: names are case-insensitive)', () => {
  test('lastValue finds a field in any case, the last of repeated ones', () => {
    const f = fields('Content-Length: 5\r\nHOST: a\r\ncontent-LENGTH: 7\r\nX-Long-Name: x\r\n\r\n');
    assert.equal(lastValue(f, 'content-length'), '7');
    assert.equal(lastValue(f, 'host'), 'a');
    assert.equal(lastValue(f, 'x-long-name'), 'x');
    assert.equal(lastValue(f, 'hos'), undefined);
    assert.equal(lastValue(f, 'hostt'), undefined);
  });

  test('a latin1 name that lowercases to another name of the same length does not match', () => {
    // 'HOSÉ' lowercases to 'hosé' (U+00C9 -> U+00E9): four characters, not 'host'.
    const f = fields('HOS\u00c9: 1\r\nConnection: keep-alive, Upgrade\r\n\r\n');
    assert.equal(lastValue(f, 'host'), undefined);
    assert.equal(lastValue(f, 'hos\u00e9'), '1');
    assert.equal(listsToken(f, 'connection', 'upgrade'), true);
    assert.equal(listsToken(f, 'connection', 'close'), false);
    assert.equal(listsToken(f, 'connectio', 'upgrade'), false);
  });
});
