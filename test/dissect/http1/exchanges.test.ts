/**
 * Hand-built HTTP/1.x conversations. Expected values are read off the bytes written here
 * (sizes counted by hand and noted in comments), and every conversation is also fed split
 * at every offset, which must give the same entries.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { http1Dissector } from '../../../src/dissect/http1/index.js';
import type { EntryDraft } from '../../../src/dissect/entry.js';
import { feed, recordingContext, splitOne, type Chunk, type ContextOptions } from '../dns/harness.js';

const c = (dir: 0 | 1, text: string | Uint8Array, tsUs: number): Chunk => ({
  dir,
  bytes: typeof text === 'string' ? Buffer.from(text, 'latin1') : text,
  tsUs,
});

type Obj = Record<string, unknown>;
const req = (e: EntryDraft): Obj => e.request as Obj;
const res = (e: EntryDraft): Obj => e.response as Obj;
const body = (m: Obj): Obj => m.body as Obj;

/** Feeds whole, then with every chunk split at every offset; all runs must agree. */
function run(chunks: Chunk[], opts: ContextOptions = {}): { entries: EntryDraft[]; anomalies: string[] } {
  const whole = feed(http1Dissector, chunks, opts);
  for (let i = 0; i < chunks.length; i++) {
    for (let at = 1; at < chunks[i].bytes.length; at++) {
      const split = feed(http1Dissector, splitOne(chunks, i, at), opts);
      assert.deepEqual(split.entries, whole.entries, `chunk ${i} split at ${at}`);
    }
  }
  return whole;
}

describe('http1 exchanges', () => {
  test('keep-alive GET with Content-Length, then chunked response with trailers', () => {
    const { entries, anomalies } = run([
      c(
        0,
        'GET /a?x=1&y=h%C3%A9+z HTTP/1.1\r\nHost: example.test\r\nAccept: */*\r\nAccept: text/html\r\n\r\n',
        10,
      ),
      c(1, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello', 20),
      c(0, 'GET /b HTTP/1.1\r\nHost: example.test\r\n\r\n', 30),
      // chunks "Wiki" (4) and "pedia" (5), then a trailer field
      c(
        1,
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Checksum: abc\r\n\r\n',
        40,
      ),
    ]);
    assert.deepEqual(anomalies, []);
    assert.equal(entries.length, 2);
    const [a, b] = entries;
    assert.equal(req(a).method, 'GET');
    assert.equal(req(a).url, 'http://example.test/a?x=1&y=h%C3%A9+z');
    assert.deepEqual(req(a).queryString, [
      { name: 'x', value: '1' },
      { name: 'y', value: 'hé z' },
    ]);
    assert.deepEqual((req(a).headerMap as Obj).accept, ['*/*', 'text/html']);
    assert.equal((req(a).headers as Obj[]).length, 3);
    assert.equal(res(a).status, 200);
    assert.deepEqual(body(res(a)), { size: 5, truncated: false, contentType: 'text/plain', text: 'hello' });
    // request line 4 + 18 + 9 + 2 = 33, Host 20, Accept lines 13 + 19, blank 2: 87 bytes
    assert.equal(a.requestSize, 87);
    // status 17 + Content-Length 19 + Content-Type 26 + blank 2 + body 5 = 69 bytes
    assert.equal(a.responseSize, 69);
    assert.equal(a.timestampUs, 10);
    assert.equal(a.elapsedUs, 10);
    assert.equal(body(res(b)).text, 'Wikipedia');
    assert.deepEqual(res(b).trailers, [{ name: 'X-Checksum', value: 'abc' }]);
    assert.deepEqual([a.index, b.index], [0, 1]);
    assert.deepEqual(a.flags, []);
  });

  test('pipelined requests in one segment pair with responses in order; HEAD and 304 carry no body', () => {
    const { entries } = run([
      c(
        0,
        'HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /n HTTP/1.1\r\nHost: h\r\n\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n',
        1,
      ),
      // HEAD answer announces 10 bytes that are not sent; 304 likewise; the last one has 2 bytes.
      c(
        1,
        'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n',
        2,
      ),
      c(1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 3),
    ]);
    assert.deepEqual(
      entries.map((e) => [req(e).path, res(e).status, res(e).body === null ? 0 : body(res(e)).size]),
      [
        ['/h', 200, 0],
        ['/n', 304, 0],
        ['/g', 200, 2],
      ],
    );
  });

  test('100 Continue is kept as interim; the final response pairs with the request', () => {
    const { entries } = run([
      c(0, 'POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n', 1),
      c(1, 'HTTP/1.1 100 Continue\r\n\r\n', 2),
      c(0, 'abc', 3),
      c(1, 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n', 4),
    ]);
    assert.equal(entries.length, 1);
    assert.equal(res(entries[0]).status, 201);
    assert.deepEqual(res(entries[0]).interim, [{ status: 100, statusText: 'Continue', headers: [] }]);
    assert.equal(body(req(entries[0])).text, 'abc');
    // interim 23 + 2 = 25 bytes, final status line 22 + Content-Length 19 + blank 2 = 43
    assert.equal(entries[0].responseSize, 68);
  });

  test('a response without length is read to the close and emitted at end()', () => {
    const { entries } = run([
      c(0, 'GET / HTTP/1.0\r\n\r\n', 1),
      c(1, 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>', 2),
      c(1, 'bye</p>', 3),
    ]);
    assert.equal(body(res(entries[0])).text, '<p>bye</p>');
    assert.equal(res(entries[0]).httpVersion, 'HTTP/1.0');
  });

  test('gzip body is decoded for display, the raw size kept', () => {
    const gz = gzipSync(Buffer.from('{"ok":true}'));
    const head = `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\nContent-Length: ${gz.length}\r\n\r\n`;
    const { entries } = run([
      c(0, 'GET /j HTTP/1.1\r\n\r\n', 1),
      c(1, Buffer.concat([Buffer.from(head), gz]), 2),
    ]);
    const b = body(res(entries[0]));
    assert.equal(b.size, gz.length);
    assert.equal(b.encoding, 'gzip');
    assert.equal(b.text, '{"ok":true}');
    assert.equal(b.decodedSize, 11);
  });

  test('bodies beyond maxBodyBytes are counted, cut and flagged; binary bodies shown as base64', () => {
    const bytes = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 8\r\n\r\n';
    const { entries } = feed(
      http1Dissector,
      [c(0, 'GET / HTTP/1.1\r\n\r\n', 1), c(1, Buffer.concat([Buffer.from(head), bytes]), 2)],
      {
        limits: { maxBodyBytes: 4 },
      },
    );
    assert.deepEqual(body(res(entries[0])), {
      size: 8,
      truncated: true,
      contentType: 'application/octet-stream',
      base64: Buffer.from([0, 1, 2, 3]).toString('base64'),
    });
    assert.deepEqual(entries[0].flags, ['body_truncated']);
  });

  test('bodyText off: bodies are counted as when kept (size, truncation), neither kept nor decoded', () => {
    const gz = gzipSync(Buffer.from('x'.repeat(100_000)));
    const head = `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: text/plain\r\nContent-Length: ${gz.length}\r\n\r\n`;
    const chunks = [c(0, 'GET / HTTP/1.1\r\n\r\n', 1), c(1, Buffer.concat([Buffer.from(head), gz]), 2)];
    const kept = recordingContext({ limits: { maxBodyBytes: 64 } });
    const counted = recordingContext({ limits: { maxBodyBytes: 64, bodyText: false } });
    for (const { ctx } of [kept, counted]) {
      const d = http1Dissector.create(ctx);
      for (const ch of chunks) d.data(ch.dir, ch.bytes, ch.tsUs);
      d.end(3);
    }
    const [k] = kept.rec.entries;
    const [n] = counted.rec.entries;
    // gz is longer than 64 bytes: both cut it; only the kept one holds and decodes its first 64.
    assert.equal(body(res(k)).truncated, true);
    assert.equal(typeof body(res(k)).text, 'string');
    assert.deepEqual(body(res(n)), { size: gz.length, truncated: true, contentType: 'text/plain' });
    assert.deepEqual(n.flags, k.flags);
    assert.deepEqual(n.flags, ['body_truncated']);
    assert.equal(counted.ledger.held, 0);
    assert.ok(counted.ledger.peak < kept.ledger.peak, `${counted.ledger.peak} < ${kept.ledger.peak}`);
  });

  test('WebSocket upgrade: the 101 exchange is emitted flagged and parsing stops', () => {
    const { entries } = run([
      c(0, 'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', 1),
      c(
        1,
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x02hi',
        2,
      ),
      c(0, '\x81\x82abcdGET / HTTP/1.1\r\n\r\n', 3),
    ]);
    assert.equal(entries.length, 1);
    assert.equal(res(entries[0]).status, 101);
    assert.deepEqual(entries[0].flags, ['upgraded']);
  });

  test('a request with no response is emitted at end() as no_response', () => {
    const { entries } = run([c(0, 'DELETE /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n', 5)]);
    assert.deepEqual(entries[0].flags, ['no_response']);
    assert.equal(entries[0].elapsedUs, null);
  });

  test('gaps inside Content-Length bodies keep the framing; the next messages are found', () => {
    const { ctx, rec } = recordingContext();
    const d = http1Dissector.create(ctx);
    d.data(0, Buffer.from('POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\nab'), 1);
    d.gap(0, 5, 2);
    d.data(0, Buffer.from('cdeGET /next HTTP/1.1\r\n\r\n'), 3);
    d.data(1, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab'), 4);
    d.gap(1, 4, 5);
    d.data(1, Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), 6);
    d.end(7);
    assert.deepEqual(
      rec.entries.map((e) => [req(e).path, res(e).status, body(req(e) as Obj)?.size ?? 0, e.flags.sort()]),
      [
        ['/p', 200, 10, ['body_truncated', 'gap']],
        ['/next', 204, 0, []],
      ],
    );
  });

  test('a gap that swallows a request head keeps later responses paired with their requests', () => {
    const { ctx, rec } = recordingContext();
    const d = http1Dissector.create(ctx);
    d.data(0, Buffer.from('GET /one HTTP/1.1\r\nHo'), 1);
    d.gap(0, 30, 2);
    d.data(0, Buffer.from('GET /two HTTP/1.1\r\n\r\n'), 3);
    d.data(
      1,
      Buffer.from(
        'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n',
      ),
      4,
    );
    d.end(5);
    assert.deepEqual(
      rec.entries.map((e) => [(e.request as Obj | null)?.path ?? null, res(e).status, e.flags]),
      [
        [null, 200, ['gap']],
        ['/two', 404, []],
      ],
    );
  });
});
