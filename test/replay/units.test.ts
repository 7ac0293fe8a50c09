import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseTarget,
  parseTupleSelector,
  percentile,
  REPLAY_ERROR_CODES as E,
} from '../../src/replay/index.js';
import { TurnRecorder } from '../../src/replay/script.js';
import { selectorMatches } from '../../src/replay/select.js';
import { latencySummary } from '../../src/replay/summary.js';
import { DEFAULT_DISSECT_LIMITS, type StreamContext } from '../../src/dissect/types.js';

const b = (s: string): Uint8Array => Buffer.from(s);

describe('HOST:PORT targets', () => {
  test('host names, IPv4 and bracketed IPv6', () => {
    assert.deepEqual(parseTarget('localhost:8080'), { host: 'localhost', port: 8080 });
    assert.deepEqual(parseTarget('10.1.2.3:53'), { host: '10.1.2.3', port: 53 });
    assert.deepEqual(parseTarget('[::1]:443'), { host: '::1', port: 443 });
  });

  test('anything else is REPLAY_BAD_TARGET', () => {
    for (const bad of ['host', ':80', 'host:0', 'host:65536', '::1:80', '[nothex]:80', 'a b:1', 'host:80x']) {
      assert.throws(() => parseTarget(bad), { code: E.BAD_TARGET }, bad);
    }
  });
});

describe('stream tuples', () => {
  test('both spellings, either order, IPv6 in any case', () => {
    assert.deepEqual(parseTupleSelector('tcp 10.0.0.1:5000 10.0.0.2:80'), {
      transport: 'tcp',
      endpoints: [
        { ip: '10.0.0.1', port: 5000 },
        { ip: '10.0.0.2', port: 80 },
      ],
    });
    const sel = parseTupleSelector('[2001:DB8:0::2]:53,[2001:db8::1]:5353');
    const ctx: StreamContext = {
      streamId: 4,
      transport: 'udp',
      client: { ip: '2001:db8::1', port: 5353 },
      server: { ip: '2001:db8::2', port: 53 },
      clientPort: 5353,
      serverPort: 53,
      limits: DEFAULT_DISSECT_LIMITS,
      emit: () => {},
      anomaly: () => {},
      hold: () => {},
    };
    assert.equal(selectorMatches(sel, ctx), true);
    assert.equal(selectorMatches({ ...sel, transport: 'tcp' }, ctx), false);
    assert.equal(selectorMatches({ streamId: 4 }, ctx), true);
    assert.equal(selectorMatches({ streamId: 3 }, ctx), false);
  });

  test('malformed tuples are REPLAY_BAD_SELECTOR', () => {
    for (const bad of [
      '10.0.0.1:1',
      'tcp 10.0.0.1:1 10.0.0.2',
      'sctp 1.1.1.1:1 2.2.2.2:2',
      '1.1.1.1:1 2001:db8::1:2',
    ]) {
      assert.throws(() => parseTupleSelector(bad), { code: E.BAD_SELECTOR }, bad);
    }
  });
});

describe('latency percentiles (nearest rank)', () => {
  test('1..10: p50 is the 5th value, p90 the 9th, p99 the 10th', () => {
    const values = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    assert.deepEqual(latencySummary(values), {
      count: 10,
      min: 1,
      mean: 5.5,
      p50: 5,
      p90: 9,
      p99: 10,
      max: 10,
    });
  });

  test('one value is every percentile; none is NaN / null', () => {
    assert.equal(percentile([42], 50), 42);
    assert.equal(percentile([42], 99), 42);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.equal(latencySummary([]), null);
  });

  test('200 values: p99 is the 198th', () => {
    const values = Array.from({ length: 200 }, (_, i) => i + 1);
    assert.equal(percentile(values, 99), 198);
    assert.equal(percentile(values, 90), 180);
  });
});

describe('TurnRecorder: client turns out of in-order stream events', () => {
  test('client bytes gather until the server answers; answers count against their turn', () => {
    const r = new TurnRecorder(false, true);
    r.data(1, b('220 hello\r\n'), 1); // a greeting before the client spoke
    r.data(0, b('EHLO a'), 2);
    r.data(0, b('\r\n'), 3);
    r.data(1, b('250 ok\r\n'), 4);
    r.data(0, b('QUIT\r\n'), 5);
    r.gap(1, 10, 6);
    r.data(1, b('221\r\n'), 7);
    r.end();
    assert.equal(r.greetingBytes, 11);
    assert.deepEqual(
      r.messages.map((m) => [Buffer.from(m.bytes).toString(), m.tsUs, m.responseBytes]),
      [
        ['EHLO a\r\n', 2, 8],
        ['QUIT\r\n', 5, 15],
      ],
    );
    assert.deepEqual(r.messages[1].response, [10, new Uint8Array(b('221\r\n'))]);
    assert.deepEqual(r.gaps, [{ dir: 1, offset: 19, length: 10 }]);
  });

  test('datagrams: every client datagram is a message, even back to back', () => {
    const r = new TurnRecorder(true, false);
    r.data(0, b('q1'), 1);
    r.data(0, b('q2'), 2);
    r.data(1, b('a2'), 3);
    r.end();
    assert.deepEqual(
      r.messages.map((m) => [Buffer.from(m.bytes).toString(), m.responseBytes, m.response]),
      [
        ['q1', 0, null],
        ['q2', 2, null],
      ],
    );
  });

  test('a client gap is recorded with its offset and counted in its turn', () => {
    const r = new TurnRecorder(false, false);
    r.data(0, b('abc'), 1);
    r.gap(0, 5, 2);
    r.data(0, b('def'), 3);
    r.end();
    assert.deepEqual(r.gaps, [{ dir: 0, offset: 3, length: 5 }]);
    assert.equal(Buffer.from(r.messages[0].bytes).toString(), 'abcdef');
    assert.equal(r.messages[0].gapBytes, 5);
  });

  test('past the byte limit recording stops and overflow is set', () => {
    const r = new TurnRecorder(false, false, { maxStreamBytes: 4, maxMessages: 10 });
    r.data(0, b('abc'), 1);
    assert.equal(r.overflow, false);
    r.data(0, b('de'), 2);
    assert.equal(r.overflow, true);
    const m = new TurnRecorder(true, false, { maxStreamBytes: 100, maxMessages: 2 });
    for (let i = 0; i < 3; i++) m.data(0, b('x'), i);
    assert.equal(m.overflow, true);
    assert.equal(m.messages.length, 2);
  });
});
