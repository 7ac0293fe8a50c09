import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createUpgradedHttp2, http2Dissector } from '../../../src/dissect/http2/index.js';
import {
  collectingContext,
  concat,
  feed,
  frame,
  hex,
  literal,
  PREFACE,
  type FollowChunk,
} from './support.js';

// Frame types and flags from RFC 7540 §6; static-table indices from RFC 7541 Appendix A
// (0x82 :method GET, 0x84 :path /, 0x86 :scheme http, 0x88 :status 200, 0x8d :status 404).
const DATA = 0,
  HEADERS = 1,
  PRIORITY = 2,
  RST_STREAM = 3,
  SETTINGS = 4,
  PUSH_PROMISE = 5,
  PING = 6,
  GOAWAY = 7,
  WINDOW_UPDATE = 8,
  CONTINUATION = 9;
const END_STREAM = 1,
  END_HEADERS = 4,
  PADDED = 8,
  PRIO = 0x20;

const GET_ROOT = concat(hex('82 86 84'), literal(':authority', 'example.com'));
const GET = (path: string): Uint8Array =>
  concat(hex('82 86'), literal(':path', path), literal(':authority', 'example.com'));
const OK = hex('88');

function client(...frames: Uint8Array[]): FollowChunk {
  return { dir: 0, bytes: concat(...frames) };
}
function server(...frames: Uint8Array[]): FollowChunk {
  return { dir: 1, bytes: concat(...frames) };
}

function run(chunks: FollowChunk[], limits = {}) {
  const c = collectingContext(limits);
  feed(c, http2Dissector.create(c.ctx), chunks);
  return c;
}

/** A GET on stream 1 with padding, priority, CONTINUATION, an unknown frame type and control frames between. */
const CONVERSATION: FollowChunk[] = [
  client(PREFACE, frame(SETTINGS, 0, 0, '000100001000')),
  server(frame(SETTINGS, 0, 0), frame(SETTINGS, 1, 0)),
  client(
    frame(SETTINGS, 1, 0),
    // HEADERS: PADDED (pad length 3) + PRIORITY (5 bytes), first part of the block.
    frame(
      HEADERS,
      PADDED | PRIO | END_STREAM,
      1,
      concat(hex('03 00000000 10'), GET_ROOT.subarray(0, 4), hex('000000')),
    ),
  ),
  client(frame(CONTINUATION, END_HEADERS, 1, GET_ROOT.subarray(4)), frame(0xfa, 0, 1, 'deadbeef')),
  server(
    frame(WINDOW_UPDATE, 0, 0, '00010000'),
    frame(PRIORITY, 0, 1, '0000000010'),
    frame(HEADERS, END_HEADERS, 1, concat(OK, literal('content-type', 'text/plain'))),
    frame(PING, 0, 0, '0102030405060708'),
    // DATA: PADDED, pad length 2.
    frame(DATA, PADDED, 1, concat(hex('02'), Buffer.from('hello '), hex('0000'))),
    frame(DATA, 0, 1, Buffer.from('world')),
    frame(HEADERS, END_HEADERS | END_STREAM, 1, literal('x-trailer', 'done')),
  ),
];

describe('HTTP/2 frames', () => {
  test('padding, priority, CONTINUATION, unknown frame types, trailers', () => {
    const { entries, anomalies } = run(CONVERSATION);
    assert.deepEqual(anomalies, []);
    assert.equal(entries.length, 1);
    const e = entries[0];
    assert.equal(e.protocol, 'http2');
    assert.deepEqual(e.flags, []);
    assert.equal(e.request?.method, 'GET');
    assert.equal(e.request?.path, '/');
    assert.equal(e.request?.url, 'http://example.com/');
    assert.equal(e.response?.status, 200);
    assert.deepEqual(e.response?.body, { size: 11, mimeType: 'text/plain', text: 'hello world' });
    assert.deepEqual(e.response?.trailers, [{ name: 'x-trailer', value: 'done' }]);
    // HEADERS (9+26) + CONTINUATION (9+15) for the request; HEADERS, 2 DATA, trailers for the response.
    assert.equal(e.requestSize, 9 + 1 + 5 + 4 + 3 + 9 + GET_ROOT.length - 4);
  });

  test('bodyText off: the body is counted, not kept or turned into text; the rest of the entry is the same', () => {
    const kept = run(CONVERSATION).entries[0];
    const counted = run(CONVERSATION, { bodyText: false }).entries[0];
    assert.deepEqual(counted.response?.body, { size: 11, mimeType: 'text/plain' });
    const withoutBody = (e: typeof kept) => ({ ...e, response: { ...e.response, body: undefined } });
    assert.deepEqual(withoutBody(counted), withoutBody(kept));
  });

  test('every split of the byte stream gives the same entry', () => {
    const whole = run(CONVERSATION).entries;
    for (let i = 0; i < CONVERSATION.length; i++) {
      const bytes = CONVERSATION[i].bytes;
      for (let cut = 1; cut < bytes.length; cut++) {
        const chunks = [
          ...CONVERSATION.slice(0, i),
          { dir: CONVERSATION[i].dir, bytes: bytes.subarray(0, cut) },
          { dir: CONVERSATION[i].dir, bytes: bytes.subarray(cut) },
          ...CONVERSATION.slice(i + 1),
        ];
        const c = collectingContext();
        const d = http2Dissector.create(c.ctx);
        for (const ch of chunks) d.data(ch.dir, ch.bytes, 5);
        d.end(5);
        const a = c.entries.map((x) => ({ ...x, timestampUs: 0, elapsedUs: 0 }));
        assert.deepEqual(
          a,
          whole.map((x) => ({ ...x, timestampUs: 0, elapsedUs: 0 })),
          `chunk ${i} cut ${cut}`,
        );
      }
    }
  });

  test('RST_STREAM ends the exchange with flag reset and the error code name', () => {
    const { entries } = run([
      client(PREFACE, frame(SETTINGS, 0, 0), frame(HEADERS, END_HEADERS | END_STREAM, 1, GET_ROOT)),
      client(frame(RST_STREAM, 0, 1, '00000008')),
    ]);
    assert.equal(entries.length, 1);
    assert.ok(entries[0].flags.includes('reset'));
    assert.equal(entries[0].response?.resetError, 'CANCEL');
  });

  test('GOAWAY flags streams above last-stream-id', () => {
    const { entries } = run([
      client(
        PREFACE,
        frame(SETTINGS, 0, 0),
        frame(HEADERS, END_HEADERS | END_STREAM, 1, GET('/a')),
        frame(HEADERS, END_HEADERS | END_STREAM, 3, GET('/b')),
      ),
      server(
        frame(SETTINGS, 0, 0),
        frame(GOAWAY, 0, 0, '00000001 00000000'),
        frame(HEADERS, END_HEADERS | END_STREAM, 1, OK),
      ),
    ]);
    const byPath = new Map(entries.map((e) => [e.request?.path, e]));
    assert.deepEqual(byPath.get('/a')?.flags, []);
    assert.deepEqual(byPath.get('/b')?.flags.sort(), ['goaway', 'no_response']);
  });

  test('mid-connection pickup: dynamic references are undecodable, never wrong', () => {
    // Server HEADERS referencing dynamic index 62 (0xbe) with no preface or SETTINGS seen.
    const { entries } = run([
      client(frame(HEADERS, END_HEADERS | END_STREAM, 5, concat(hex('82 be'), literal(':path', '/x')))),
      server(frame(HEADERS, END_HEADERS | END_STREAM, 5, hex('88 bf'))),
    ]);
    assert.equal(entries.length, 1);
    assert.ok(entries[0].flags.includes('header_block_undecodable'));
    assert.equal(entries[0].request?.method, 'GET');
    assert.equal(entries[0].request?.authority, '');
    assert.equal(entries[0].response?.status, 200);
  });

  test('a header block over maxHeaderBytes is dropped and flagged', () => {
    const big = literal('x-big', 'a'.repeat(100));
    const { entries, anomalies } = run(
      [
        client(
          PREFACE,
          frame(SETTINGS, 0, 0),
          frame(HEADERS, END_STREAM, 1, GET_ROOT),
          frame(CONTINUATION, 0, 1, big),
          frame(CONTINUATION, END_HEADERS, 1, big),
        ),
      ],
      { maxHeaderBytes: 150 },
    );
    assert.equal(entries.length, 1);
    assert.ok(entries[0].flags.includes('header_block_undecodable'));
    assert.equal(entries[0].request, null);
    assert.deepEqual(anomalies, []);
  });

  test('content-encoding gzip is decoded for display, raw size kept', () => {
    const text = 'compressible '.repeat(50);
    const gz = gzipSync(text);
    const { entries } = run([
      client(PREFACE, frame(SETTINGS, 0, 0), frame(HEADERS, END_HEADERS | END_STREAM, 1, GET_ROOT)),
      server(
        frame(
          HEADERS,
          END_HEADERS,
          1,
          concat(OK, literal('content-encoding', 'gzip'), literal('content-type', 'text/plain')),
        ),
        frame(DATA, END_STREAM, 1, gz),
      ),
    ]);
    const body = entries[0].response?.body as Record<string, unknown>;
    assert.equal(body.size, gz.length);
    assert.equal(body.decodedSize, text.length);
    assert.equal(body.text, text);
  });

  test('body limit: kept bytes bounded, size counted, flag body_truncated', () => {
    const { entries } = run(
      [
        client(PREFACE, frame(SETTINGS, 0, 0), frame(HEADERS, END_HEADERS | END_STREAM, 1, GET_ROOT)),
        server(frame(HEADERS, END_HEADERS, 1, OK), frame(DATA, END_STREAM, 1, Buffer.from('x'.repeat(100)))),
      ],
      { maxBodyBytes: 10 },
    );
    const body = entries[0].response?.body as Record<string, unknown>;
    assert.equal(body.size, 100);
    assert.equal(body.text, 'x'.repeat(10));
    assert.ok(entries[0].flags.includes('body_truncated'));
  });

  test('PUSH_PROMISE opens a pushed exchange with the promised request', () => {
    const { entries } = run([
      client(PREFACE, frame(SETTINGS, 0, 0), frame(HEADERS, END_HEADERS | END_STREAM, 1, GET_ROOT)),
      server(
        frame(PUSH_PROMISE, END_HEADERS, 1, concat(hex('00000002'), GET('/style.css'))),
        frame(HEADERS, END_HEADERS | END_STREAM, 1, OK),
        frame(HEADERS, END_HEADERS | END_STREAM, 2, OK),
      ),
    ]);
    const pushed = entries.find((e) => e.request?.path === '/style.css');
    assert.equal(pushed?.request?.pushed, true);
    assert.equal(pushed?.response?.status, 200);
    assert.equal(entries.length, 2);
  });

  test('a gap inside a DATA frame keeps the framing; the exchange is flagged', () => {
    const c = collectingContext();
    const d = http2Dissector.create(c.ctx);
    d.data(
      0,
      concat(PREFACE, frame(SETTINGS, 0, 0), frame(HEADERS, END_HEADERS | END_STREAM, 1, GET_ROOT)),
      1,
    );
    const dataFrame = frame(DATA, END_STREAM, 1, Buffer.from('0123456789'));
    d.data(1, concat(frame(HEADERS, END_HEADERS, 1, OK), dataFrame.subarray(0, 12)), 2);
    d.gap(1, 4, 3);
    d.data(1, dataFrame.subarray(16), 4);
    d.end(5);
    assert.equal(c.entries.length, 1);
    // Bytes after the gap are not kept (the body text would have a hole), so it is also truncated.
    assert.deepEqual(c.entries[0].flags, ['gap', 'body_truncated']);
    assert.equal((c.entries[0].response?.body as Record<string, unknown>).size, 10);
  });

  test('h2c upgrade: stream 1 answers the HTTP/1.1 request given by the HTTP/1 dissector', () => {
    const c = collectingContext();
    const request = { method: 'GET', path: '/robots.txt', httpVersion: 'HTTP/1.1' };
    const d = createUpgradedHttp2(c.ctx, { request, timestampUs: 10, requestSize: 120 });
    d.data(
      1,
      concat(
        frame(SETTINGS, 0, 0),
        frame(HEADERS, END_HEADERS, 1, OK),
        frame(DATA, END_STREAM, 1, Buffer.from('ok')),
      ),
      20,
    );
    d.data(
      0,
      concat(PREFACE, frame(SETTINGS, 0, 0), frame(HEADERS, END_HEADERS | END_STREAM, 3, GET('/next'))),
      21,
    );
    d.data(1, frame(HEADERS, END_HEADERS | END_STREAM, 3, hex('8d')), 22);
    d.end(23);
    assert.equal(c.entries.length, 2);
    const [first, second] = c.entries;
    assert.equal(first.request, request);
    assert.equal(first.requestSize, 120);
    assert.equal(first.timestampUs, 10);
    assert.equal(first.elapsedUs, 10);
    assert.equal(first.response?.status, 200);
    assert.equal(second.request?.path, '/next');
    assert.equal(second.response?.status, 404);
  });
});
