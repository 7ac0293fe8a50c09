import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  TcpReassembler,
  type ReassemblyLimits,
} from '../../src/flow/tcp-reassembly.js';
import { RecordingSink } from './helpers/recording-sink.js';

const A = TCP_ACK;
const b = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const none = new Uint8Array(0);

function setup(options: Partial<ReassemblyLimits> = {}, hold?: (delta: number) => void) {
  const sink = new RecordingSink();
  const anomalies: string[] = [];
  const r = new TcpReassembler(sink, options, { anomaly: (n) => anomalies.push(n), hold });
  return { sink, r, anomalies };
}

/** Client ISN 1000 (data from 1001), server ISN 5000 (data from 5001): a handshake. */
function handshake(r: TcpReassembler): void {
  r.segment(0, 1000, 0, TCP_SYN, none, 1);
  r.segment(1, 5000, 1001, TCP_SYN | A, none, 2);
  r.segment(0, 1001, 5001, A, none, 3);
}

describe('TcpReassembler', () => {
  test('in-order data of both directions is delivered as it comes, SYN consumes one sequence number', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A, b('GET / HTTP/1.1\r\n\r\n'), 4);
    r.segment(1, 5001, 1019, A, b('HTTP/1.1 200 OK\r\n'), 5);
    r.segment(1, 5018, 1019, A, b('\r\n'), 6);
    r.segment(0, 1019, 5020, A | TCP_FIN, none, 7);
    r.segment(1, 5020, 1020, A | TCP_FIN, none, 8);
    r.end(9);
    assert.equal(sink.bytes(0).toString(), 'GET / HTTP/1.1\r\n\r\n');
    assert.equal(sink.bytes(1).toString(), 'HTTP/1.1 200 OK\r\n\r\n');
    assert.deepEqual(
      sink.events.map((e) => e.kind + (e.kind === 'end' ? '' : e.dir)),
      ['data0', 'data1', 'data1', 'end'],
    );
    assert.deepEqual(sink.gaps, [[], []]);
  });

  test('out-of-order segments wait for the hole to fill', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1007, 5001, A, b('ghi'), 4);
    r.segment(0, 1004, 5001, A, b('def'), 5);
    assert.equal(sink.bytes(0).length, 0);
    r.segment(0, 1001, 5001, A, b('abc'), 6);
    assert.equal(sink.bytes(0).toString(), 'abcdefghi');
    assert.equal(r.stats.outOfOrder, 2);
    assert.equal(r.bufferedBytes, 0);
  });

  test('overlapping retransmissions: first-seen bytes win and a disagreement is counted', () => {
    const { sink, r, anomalies } = setup();
    handshake(r);
    r.segment(0, 1005, 5001, A, b('EFGH'), 4); // buffered: offsets 4..7
    r.segment(0, 1003, 5001, A, b('cdXXij'), 5); // overlaps EFGH with different bytes
    r.segment(0, 1001, 5001, A, b('abcd'), 6); // overlaps 'cd' with identical bytes
    r.segment(0, 1001, 5001, A, b('abcdEFGHij'), 7); // full retransmission, nothing new
    assert.equal(sink.bytes(0).toString(), 'abcdEFGHij');
    assert.deepEqual(anomalies, ['tcp.overlap_conflict']);
    assert.equal(r.stats.overlapConflicts, 1);
  });

  test('a retransmission overlapping delivered data only delivers the new tail', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A, b('hello'), 4);
    r.segment(0, 1004, 5001, A, b('lo world'), 5);
    assert.equal(sink.bytes(0).toString(), 'hello world');
    assert.equal(r.stats.retransmissions, 1);
  });

  test('sequence numbers wrap around 2^32', () => {
    const { sink, r } = setup();
    const isn = 0xfffffffa; // data starts at 0xfffffffb; 'abcdefghij' crosses the wrap after 5 bytes
    r.segment(0, isn, 0, TCP_SYN, none, 1);
    r.segment(0, 0x00000000, 0, A, b('fghij'), 2); // seq 0 is 5 bytes after 0xfffffffb
    r.segment(0, 0xfffffffb, 0, A, b('abcde'), 3);
    r.segment(0, 0x00000005, 0, A, b('KLM'), 4);
    assert.equal(sink.bytes(0).toString(), 'abcdefghijKLM');
  });

  test('a stream picked up mid-connection starts at the first sequence number seen', () => {
    const { sink, r } = setup();
    r.segment(1, 777777, 123, A, b('TTP/1.1 200 OK\r\n'), 1);
    r.segment(0, 123, 777793, A, b('GET /next'), 2);
    r.segment(1, 777793, 132, A, b('\r\n'), 3);
    assert.equal(sink.bytes(1).toString(), 'TTP/1.1 200 OK\r\n\r\n');
    assert.equal(sink.bytes(0).toString(), 'GET /next');
    assert.deepEqual(sink.gaps, [[], []]);
  });

  test('mid-stream pickup on a keep-alive: the peer’s ACK moves the start instead of reporting a gap', () => {
    const { sink, r } = setup();
    r.segment(0, 41, 900, A, none, 1); // keep-alive without data: seq is one below the next byte (42)
    r.segment(1, 900, 42, A, none, 2);
    r.segment(0, 42, 900, A, b('more'), 3);
    r.end(4);
    assert.equal(sink.bytes(0).toString(), 'more');
    assert.deepEqual(sink.gaps, [[], []]);
  });

  test('after its first byte, a picked-up direction reports acknowledged holes as gaps', () => {
    const { sink, r } = setup();
    r.segment(0, 100, 900, A, b('ab'), 1);
    r.segment(1, 900, 110, A, none, 2);
    assert.deepEqual(sink.gaps[0], [8]);
  });

  test('keep-alive probes (one byte at next-1) are ignored', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A, b('abc'), 4);
    r.segment(0, 1003, 5001, A, b('\0'), 5); // keep-alive: seq = next - 1, one garbage byte
    r.segment(0, 1003, 5001, A, none, 6); // keep-alive without the byte
    r.segment(0, 1004, 5001, A, b('d'), 7);
    assert.equal(sink.bytes(0).toString(), 'abcd');
    assert.equal(r.stats.keepAlives, 1);
  });

  test('a zero-window probe byte is delivered once, its later retransmission is trimmed', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A, b('x'), 4); // probe carrying the next byte into a zero window
    r.segment(0, 1001, 5001, A, b('x'), 5); // probe repeated
    r.segment(0, 1001, 5001, A, b('xyz'), 6); // window opened: the full segment is sent
    assert.equal(sink.bytes(0).toString(), 'xyz');
  });

  test('the peer acknowledging past missing bytes reports a gap of their size at once', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A, b('abc'), 4);
    // bytes 1004..1009 (6 bytes) never captured; 'JKL' at 1010 is buffered
    r.segment(0, 1010, 5001, A, b('JKL'), 5);
    assert.deepEqual(sink.gaps[0], []);
    r.segment(1, 5001, 1013, A, none, 6); // server ACKs everything up to 1013
    assert.deepEqual(sink.gaps[0], [6]);
    assert.equal(sink.withGaps(0, 0x2e).toString(), 'abc......JKL');
    r.segment(1, 5001, 1020, A, none, 7); // ACK beyond all data seen: 7 more bytes lost
    assert.deepEqual(sink.gaps[0], [6, 7]);
    r.segment(0, 1020, 5001, A, b('tail'), 8);
    assert.equal(sink.withGaps(0, 0x2e).toString(), 'abc......JKL.......tail');
  });

  test('an ACK of the FIN does not count the FIN as a missing byte', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A | TCP_FIN, b('bye'), 4);
    r.segment(1, 5001, 1005, A, none, 5);
    r.end(6);
    assert.equal(sink.bytes(0).toString(), 'bye');
    assert.deepEqual(sink.gaps, [[], []]);
  });

  test('missing bytes before a FIN become a gap when the stream ends', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A, b('ab'), 4);
    r.segment(0, 1008, 5001, A | TCP_FIN, b('hi'), 5); // 1003..1007 lost
    r.segment(0, 1001, 5001, A | TCP_RST, none, 6);
    assert.deepEqual(sink.gaps[0], []);
    r.end(7);
    assert.deepEqual(sink.gaps[0], [5]);
    assert.equal(sink.withGaps(0, 0x2e).toString(), 'ab.....hi');
    assert.equal(sink.ended, 1);
  });

  test('a FIN alone after a hole is reported as a gap up to the FIN at end', () => {
    const { sink, r } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A, b('ab'), 4);
    r.segment(0, 1010, 5001, A | TCP_FIN, none, 5);
    r.end(6);
    assert.deepEqual(sink.gaps[0], [7]);
  });

  test('data after the FIN is ignored', () => {
    const { sink, r, anomalies } = setup();
    handshake(r);
    r.segment(0, 1001, 5001, A | TCP_FIN, b('ab'), 4);
    r.segment(0, 1004, 5001, A, b('zz'), 5);
    assert.equal(sink.bytes(0).toString(), 'ab');
    assert.deepEqual(anomalies, ['tcp.data_after_fin']);
  });

  test('too many buffered bytes: the oldest hole becomes a gap and the data after it is delivered', () => {
    const { sink, r } = setup({ maxBufferedBytes: 8 });
    handshake(r);
    r.segment(0, 1001, 5001, A, b('ab'), 4);
    r.segment(0, 1005, 5001, A, b('efgh'), 5); // hole of 2 at 1003
    r.segment(0, 1011, 5001, A, b('klmn'), 6); // 8 buffered: at the limit, still waiting
    assert.deepEqual(sink.gaps[0], []);
    r.segment(0, 1017, 5001, A, b('q'), 7); // 9 > 8: the first hole gives way
    assert.deepEqual(sink.gaps[0], [2]);
    assert.equal(sink.withGaps(0, 0x2e).toString(), 'ab..efgh');
    assert.equal(r.bufferedBytes, 5);
    r.end(8);
    assert.equal(sink.withGaps(0, 0x2e).toString(), 'ab..efgh..klmn..q');
  });

  test('too many buffered segments also forces a gap', () => {
    const { sink, r } = setup({ maxBufferedSegments: 2 });
    handshake(r);
    r.segment(0, 1003, 5001, A, b('c'), 4);
    r.segment(0, 1005, 5001, A, b('e'), 5);
    r.segment(0, 1007, 5001, A, b('g'), 6);
    assert.deepEqual(sink.gaps[0], [2]);
    assert.equal(sink.withGaps(0, 0x2e).toString(), '..c');
  });

  test('the buffer-change hook sees every byte held and released', () => {
    let held = 0;
    const { r } = setup({}, (d) => (held += d));
    handshake(r);
    r.segment(0, 1004, 5001, A, b('def'), 4);
    r.segment(1, 5010, 1001, A, b('zz'), 5);
    assert.equal(held, 5);
    r.segment(0, 1001, 5001, A, b('abc'), 6);
    assert.equal(held, 2);
    r.end(7);
    assert.equal(held, 0);
  });

  test('segments far outside the window are ignored as garbage', () => {
    const { sink, r, anomalies } = setup();
    handshake(r);
    r.segment(0, 1001 + 0x50000000, 5001, A, b('x'), 4);
    r.end(5);
    assert.equal(sink.bytes(0).length, 0);
    assert.deepEqual(sink.gaps[0], []);
    assert.deepEqual(anomalies, ['tcp.seq_out_of_window']);
  });

  test('after end() nothing more is delivered and end is reported once', () => {
    const { sink, r } = setup();
    handshake(r);
    r.end(4);
    r.end(5);
    r.segment(0, 1001, 5001, A, b('late'), 6);
    assert.equal(sink.ended, 1);
    assert.equal(sink.bytes(0).length, 0);
  });
});
