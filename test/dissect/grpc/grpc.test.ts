import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  createGrpcDecoder,
  decodeBinaryMetadata,
  parseGrpcPath,
  parseGrpcTimeout,
} from '../../../src/dissect/grpc/index.js';
import { createHttp2Dissector, http2Dissector } from '../../../src/dissect/http2/index.js';
import type { DissectorFactory } from '../../../src/dissect/types.js';
import { decodeRawProtobuf } from '../../../src/dissect/protobuf/index.js';
import { collectingContext, concat, feed, frame, hex, literal, PREFACE } from '../http2/support.js';

// RFC 7540 frame types/flags; 0x83 = :method POST, 0x86 = :scheme http, 0x88 = :status 200 (RFC 7541 Appendix A).
const DATA = 0,
  HEADERS = 1,
  SETTINGS = 4;
const END_STREAM = 1,
  END_HEADERS = 4;

/** gRPC length prefix: compressed flag + 4-byte big-endian length (gRPC over HTTP/2 spec). */
function grpcMessage(payload: Uint8Array, compressed = false): Uint8Array {
  const prefix = new Uint8Array(5);
  prefix[0] = compressed ? 1 : 0;
  new DataView(prefix.buffer).setUint32(1, payload.length);
  return concat(prefix, payload);
}

// Protobuf wire bytes: field 1, wire type 2 (tag 0x0a), then length and UTF-8 text (protobuf encoding spec).
const HELLO_REQ = hex('0a 07 436c656d656e74'); // {1: "Clement"}
const HELLO_RES = hex('0a 0d 48656c6c6f20436c656d656e74'); // {1: "Hello Clement"}

const REQUEST_HEADERS = concat(
  hex('83 86'),
  literal(':path', '/greet.GreetService/Greet'),
  literal(':authority', 'localhost:50051'),
  literal('content-type', 'application/grpc'),
  literal('grpc-timeout', '1S'),
  literal('x-trace-bin', Buffer.from([0x08, 0x96, 0x01]).toString('base64')),
);

function dissect(factory: DissectorFactory, chunks: Array<[0 | 1, Uint8Array]>) {
  const c = collectingContext();
  feed(
    c,
    factory.create(c.ctx),
    chunks.map(([dir, bytes]) => ({ dir, bytes })),
  );
  return c.entries;
}

function unaryCall(requestBody: Uint8Array, responseFrames: Uint8Array, factory = http2Dissector) {
  return dissect(factory, [
    [
      0,
      concat(
        PREFACE,
        frame(SETTINGS, 0, 0),
        frame(HEADERS, END_HEADERS, 1, REQUEST_HEADERS),
        frame(DATA, END_STREAM, 1, requestBody),
      ),
    ],
    [1, concat(frame(SETTINGS, 0, 0), responseFrames)],
  ]);
}

const OK_RESPONSE_HEADERS = concat(hex('88'), literal('content-type', 'application/grpc'));
const OK_TRAILERS = concat(literal('grpc-status', '0'), literal('grpc-message', ''));

describe('gRPC over HTTP/2', () => {
  test('service, method, timeout, -bin metadata, messages across and within DATA frames, status from trailers', () => {
    const two = concat(grpcMessage(HELLO_RES), grpcMessage(HELLO_RES));
    const entries = unaryCall(
      grpcMessage(HELLO_REQ),
      concat(
        frame(HEADERS, END_HEADERS, 1, OK_RESPONSE_HEADERS),
        // Two messages split across three DATA frames at arbitrary points.
        frame(DATA, 0, 1, two.subarray(0, 3)),
        frame(DATA, 0, 1, two.subarray(3, 25)),
        frame(DATA, 0, 1, two.subarray(25)),
        frame(HEADERS, END_HEADERS | END_STREAM, 1, OK_TRAILERS),
      ),
    );
    assert.equal(entries.length, 1);
    const { protocol, request, response, flags } = entries[0];
    assert.equal(protocol, 'grpc');
    assert.deepEqual(flags, []);
    assert.equal(request?.service, 'greet.GreetService');
    assert.equal(request?.method, 'Greet');
    assert.equal(request?.timeoutMs, 1000);
    assert.deepEqual(request?.messages, [
      {
        compressed: false,
        length: 9,
        complete: true,
        fields: [{ field: 1, wireType: 'string', value: 'Clement' }],
      },
    ]);
    const bin = (request?.binaryMetadata as Array<Record<string, unknown>>)[0];
    assert.equal(bin.name, 'x-trace-bin');
    assert.deepEqual(bin.protobuf, [{ field: 1, wireType: 'varint', value: '150' }]);
    assert.equal(response?.grpcStatus, 0);
    assert.equal(response?.messageCount, 2);
    const hello = {
      compressed: false,
      length: 15,
      complete: true,
      fields: [{ field: 1, wireType: 'string', value: 'Hello Clement' }],
    };
    assert.deepEqual(response?.messages, [hello, hello]);
  });

  test('trailers-only response: grpc-status and percent-decoded grpc-message from the only header block', () => {
    const entries = unaryCall(
      grpcMessage(HELLO_REQ),
      frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        1,
        concat(
          OK_RESPONSE_HEADERS,
          literal('grpc-status', '12'),
          literal('grpc-message', 'not%20implemented'),
        ),
      ),
    );
    const response = entries[0].response;
    assert.equal(response?.trailersOnly, true);
    assert.equal(response?.grpcStatus, 12);
    assert.equal(response?.grpcMessage, 'not implemented');
    assert.equal(response?.messageCount, 0);
  });

  test('compressed messages (grpc-encoding gzip) are decompressed before decoding', () => {
    const response = concat(
      frame(HEADERS, END_HEADERS, 1, concat(OK_RESPONSE_HEADERS, literal('grpc-encoding', 'gzip'))),
      frame(DATA, 0, 1, grpcMessage(gzipSync(HELLO_RES), true)),
      frame(HEADERS, END_HEADERS | END_STREAM, 1, OK_TRAILERS),
    );
    const messages = unaryCall(grpcMessage(HELLO_REQ), response)[0].response?.messages as Array<
      Record<string, unknown>
    >;
    assert.equal(messages[0].compressed, true);
    assert.deepEqual(messages[0].fields, [{ field: 1, wireType: 'string', value: 'Hello Clement' }]);
  });

  test('a message cut short by the end of the stream is flagged incomplete', () => {
    const cut = grpcMessage(HELLO_REQ).subarray(0, 8);
    const entries = unaryCall(
      cut,
      concat(
        frame(HEADERS, END_HEADERS, 1, OK_RESPONSE_HEADERS),
        frame(HEADERS, END_HEADERS | END_STREAM, 1, OK_TRAILERS),
      ),
    );
    assert.ok(entries[0].flags.includes('grpc_message_incomplete'));
    assert.deepEqual(entries[0].request?.messages, [
      { compressed: false, length: 9, complete: false, error: 'not_kept' },
    ]);
  });

  test('decoding by name with user .proto files (protobufjs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshtap-proto-'));
    try {
      const proto = join(dir, 'greet.proto');
      writeFileSync(
        proto,
        'syntax = "proto3";\npackage greet;\nmessage GreetRequest { string name = 1; }\nmessage GreetResponse { string result = 1; }\nservice GreetService { rpc Greet (GreetRequest) returns (GreetResponse); }\n',
      );
      const factory = createHttp2Dissector({ grpcDecoder: createGrpcDecoder({ protoFiles: [proto] }) });
      const entries = unaryCall(
        grpcMessage(HELLO_REQ),
        concat(
          frame(HEADERS, END_HEADERS, 1, OK_RESPONSE_HEADERS),
          frame(DATA, 0, 1, grpcMessage(HELLO_RES)),
          frame(HEADERS, END_HEADERS | END_STREAM, 1, OK_TRAILERS),
        ),
        factory,
      );
      const req = (entries[0].request?.messages as Array<Record<string, unknown>>)[0];
      const res = (entries[0].response?.messages as Array<Record<string, unknown>>)[0];
      assert.deepEqual(req.decoded, { type: 'greet.GreetRequest', value: { name: 'Clement' } });
      assert.deepEqual(res.decoded, { type: 'greet.GreetResponse', value: { result: 'Hello Clement' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gRPC metadata', () => {
  test('path, timeout units (gRPC over HTTP/2 spec: H M S m u n, at most 8 digits)', () => {
    assert.deepEqual(parseGrpcPath('/pkg.Svc/Do'), { service: 'pkg.Svc', method: 'Do' });
    assert.equal(parseGrpcTimeout('2H'), 7_200_000);
    assert.equal(parseGrpcTimeout('3M'), 180_000);
    assert.equal(parseGrpcTimeout('100m'), 100);
    assert.equal(parseGrpcTimeout('5000u'), 5);
    assert.equal(parseGrpcTimeout('123456789S'), null);
    assert.equal(parseGrpcTimeout('1x'), null);
    assert.equal(parseGrpcTimeout('S'), null);
  });
  test('-bin values are base64, padded or not', () => {
    assert.equal(decodeBinaryMetadata('a-bin', 'aGk', 16).text, 'hi');
    assert.equal(decodeBinaryMetadata('a-bin', 'aGk=', 16).text, 'hi');
    assert.equal(decodeBinaryMetadata('a-bin', 'AAEC', 16).hex, '000102');
  });
});

describe('raw protobuf', () => {
  // Examples from the protobuf encoding guide: 08 96 01 is field 1 = 150; 12 07 "testing" is
  // field 2 = "testing"; 1a 03 08 96 01 is field 3 = a message whose field 1 = 150.
  test('varint, string, nested message', () => {
    assert.deepEqual(decodeRawProtobuf(hex('089601')), [{ field: 1, wireType: 'varint', value: '150' }]);
    assert.deepEqual(decodeRawProtobuf(hex('120774657374696e67')), [
      { field: 2, wireType: 'string', value: 'testing' },
    ]);
    assert.deepEqual(decodeRawProtobuf(hex('1a03089601')), [
      { field: 3, wireType: 'message', value: [{ field: 1, wireType: 'varint', value: '150' }] },
    ]);
  });
  test('fixed32, fixed64, 64-bit varints, bytes', () => {
    // field 1 fixed32 (tag 0d) = 1; field 2 fixed64 (tag 11) = 2^40; field 3 varint = 2^63 (ten-byte varint); field 4 bytes ff fe.
    const fields = decodeRawProtobuf(hex('0d01000000 110000000000010000 18808080808080808080 01 2202fffe'));
    assert.deepEqual(fields, [
      { field: 1, wireType: 'fixed32', value: 1 },
      { field: 2, wireType: 'fixed64', value: String(2 ** 40) },
      { field: 3, wireType: 'varint', value: '9223372036854775808' },
      { field: 4, wireType: 'bytes', value: 'fffe' },
    ]);
  });
  test('not a message: field 0, group wire types, overruns', () => {
    for (const bad of ['00', '0b', '0a05ab', '08', '0f'])
      assert.equal(decodeRawProtobuf(hex(bad)), null, bad);
  });
  test('nesting depth is bounded: deep messages become bytes, not recursion', () => {
    let msg = hex('0801');
    for (let i = 0; i < 40; i++) msg = concat(hex('0a'), new Uint8Array([msg.length]), msg).subarray(0, 200);
    const fields = decodeRawProtobuf(msg, { maxDepth: 4, maxFields: 100, maxBytesShown: 8 });
    assert.ok(fields !== null);
    assert.ok(JSON.stringify(fields).length < 2000);
  });
});
