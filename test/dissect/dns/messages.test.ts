/** Hand-built DNS messages (RFC 1035 §4.1 layout, bytes written out below) and the zlip capture. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dnsDissector, parseDnsMessage } from '../../../src/dissect/dns/index.js';
import type { DnsMessage } from '../../../src/dissect/dns/index.js';
import type { EntryDraft } from '../../../src/dissect/entry.js';
import { readFileSync } from 'node:fs';
import { corpusPcap } from '../../helpers/corpus.js';
import { feed, splitOne, type Chunk, type ContextOptions } from './harness.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Query id 0xabcd, RD, one question: example.com A IN.
const QUERY = hex('abcd 0100 0001 0000 0000 0000  07 6578616d706c65 03 636f6d 00  0001 0001');
// Response to it: QR RD RA (0x8180), 1 question, 2 answers, 0 authority, 1 additional.
//  answer 1: name = pointer to offset 12 (c00c), CNAME, TTL 60, rdata "www" + pointer c00c
//  answer 2: name = pointer c029 (offset 41, the "www" label of answer 1's rdata), A, TTL 300, 93.184.216.34
//  additional: root name, OPT, UDP payload 1232, TTL 0x00008000 (DO bit), no options
const RESPONSE = hex(
  'abcd 8180 0001 0002 0000 0001  07 6578616d706c65 03 636f6d 00  0001 0001' +
    ' c00c 0005 0001 0000003c 0006 03 777777 c00c' +
    ' c029 0001 0001 0000012c 0004 5db8d822' +
    ' 00 0029 04d0 00008000 0000',
);

type Obj = Record<string, unknown>;
const msg = (m: unknown): DnsMessage => m as DnsMessage;

function run(chunks: Chunk[], opts: ContextOptions): { entries: EntryDraft[]; anomalies: string[] } {
  const whole = feed(dnsDissector, chunks, opts);
  if (opts.transport !== 'tcp') return whole;
  for (let i = 0; i < chunks.length; i++) {
    for (let at = 1; at < chunks[i].bytes.length; at++) {
      assert.deepEqual(feed(dnsDissector, splitOne(chunks, i, at), opts), whole, `chunk ${i} split at ${at}`);
    }
  }
  return whole;
}

const tcpFrame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m]);

describe('dns messages', () => {
  test('UDP query and response pair by id and question; compression pointers, CNAME, A, OPT', () => {
    const { entries, anomalies } = run(
      [
        { dir: 0, bytes: QUERY, tsUs: 10 },
        { dir: 1, bytes: RESPONSE, tsUs: 25 },
      ],
      { transport: 'udp' },
    );
    assert.deepEqual(anomalies, []);
    assert.equal(entries.length, 1);
    const r = msg(entries[0].response);
    assert.deepEqual(r.questions, [{ name: 'example.com', type: 1, typeName: 'A', class: 1 }]);
    assert.deepEqual(
      r.answers.map((a) => [a.name, a.typeName, a.ttl, a.data]),
      [
        ['example.com', 'CNAME', 60, 'www.example.com'],
        ['www.example.com', 'A', 300, '93.184.216.34'],
      ],
    );
    assert.deepEqual(r.additionals[0].data, {
      udpPayloadSize: 1232,
      extendedRcode: 0,
      version: 0,
      dnssecOk: true,
      options: [],
    });
    assert.equal(entries[0].elapsedUs, 15);
    assert.equal(entries[0].requestSize, QUERY.length);
  });

  test('TCP: two length-prefixed messages in one segment, split anywhere', () => {
    const { entries } = run(
      [
        {
          dir: 0,
          bytes: Buffer.concat([
            tcpFrame(QUERY),
            tcpFrame(hex('0001 0000 0001 0000 0000 0000 00 0002 0001')),
          ]),
          tsUs: 1,
        },
        { dir: 1, bytes: tcpFrame(RESPONSE), tsUs: 2 },
      ],
      { transport: 'tcp', server: { ip: 's', port: 53 } },
    );
    // The answered query comes out when its answer arrives; the other one (id 1, root NS) at end().
    assert.deepEqual(
      entries.map((e) => [msg(e.request).id, e.response === null, e.flags]),
      [
        [0xabcd, false, []],
        [1, true, ['no_response']],
      ],
    );
    assert.equal(msg(entries[1].request).questions[0].name, '<Root>');
    assert.equal(entries[0].requestSize, QUERY.length + 2);
  });

  test('one 5-tuple asked again after an answer: each exchange pairs, a repeated query is retransmitted', () => {
    // The flow keeps nothing for waiting queries once none waits; asking again starts afresh.
    const { entries, anomalies } = run(
      [
        { dir: 0, bytes: QUERY, tsUs: 10 },
        { dir: 1, bytes: RESPONSE, tsUs: 25 },
        { dir: 0, bytes: QUERY, tsUs: 100 },
        { dir: 0, bytes: QUERY, tsUs: 150 },
        { dir: 1, bytes: RESPONSE, tsUs: 160 },
        { dir: 1, bytes: RESPONSE, tsUs: 170 },
      ],
      { transport: 'udp' },
    );
    assert.deepEqual(anomalies, []);
    assert.deepEqual(
      entries.map((e) => [e.timestampUs, e.elapsedUs, e.flags]),
      [
        [10, 15, []],
        [100, null, ['no_response', 'retransmitted']],
        [150, 10, []],
        [170, null, ['no_request']],
      ],
    );
  });

  test('a response without its query is emitted as no_request', () => {
    const { entries } = run([{ dir: 1, bytes: RESPONSE, tsUs: 1 }], { transport: 'udp' });
    assert.deepEqual(entries[0].flags, ['no_request']);
    // src is the side that asked (the response went to it), as for every entry.
    assert.equal(entries[0].src.ip, '10.0.0.1');
  });

  test('mDNS: the class top bit is the cache-flush / unicast-response bit', () => {
    // id 0, response (0x8400: QR AA), 0 questions, 1 answer: "a.local" A cache-flush IN, TTL 120
    const mdns = hex(
      '0000 8400 0000 0001 0000 0000  01 61 05 6c6f63616c 00 0001 8001 00000078 0004 c0a80001',
    );
    const opts: ContextOptions = {
      transport: 'udp',
      client: { ip: 'c', port: 5353 },
      server: { ip: '224.0.0.251', port: 5353 },
    };
    const { entries } = run([{ dir: 0, bytes: mdns, tsUs: 1 }], opts);
    const a = msg(entries[0].response).answers[0];
    assert.deepEqual([a.name, a.class, a.cacheFlush, a.data], ['a.local', 1, true, '192.168.0.1']);
  });

  test('compression loop (tcpdump dns-zlip-1.pcap) is caught, not followed', () => {
    // tshark's udp.payload is empty for this frame (its UDP length field says 8); the DNS bytes
    // follow the UDP header: pcap file header 24 + record header 16, then 14 Ethernet + 20 IPv4
    // + 8 UDP, so offset 82 of the file (checked with `tshark -x`).
    const payload = readFileSync(corpusPcap('tcpdump__dns-zlip-1.pcap')).subarray(82);
    // id 0xed69, one question whose name is the pointer c00c: offset 12, i.e. itself.
    assert.equal(payload.readUInt16BE(0), 0xed69);
    assert.equal(payload.readUInt16BE(12), 0xc00c);
    const { entries, anomalies } = run([{ dir: 0, bytes: payload, tsUs: 1 }], { transport: 'udp' });
    assert.deepEqual(anomalies, ['dns.compression_loop']);
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0].flags, ['malformed', 'no_response']);
    assert.equal((entries[0].request as Obj).id, 0xed69);
  });

  test('an owner name given by pointer is the name at its target, not the last one read', () => {
    // Response, 1 question ("example.com" at 12), 3 answers:
    //  1: name c00c, type 0xff00 (private use, shown as hex), 16355 bytes of rdata: ends at 0x400c
    //  2: name "other.test" written out at offset 0x400c (16396), A 10.0.0.2
    //  3: name c00c again (offset 12: "example.com", not the name just read at 0x400c), A 10.0.0.3
    const big = hex(
      'abce 8180 0001 0003 0000 0000  07 6578616d706c65 03 636f6d 00  0001 0001' +
        ' c00c ff00 0001 00000001 3fe3',
    );
    const response = Buffer.concat([
      big,
      Buffer.alloc(0x3fe3),
      hex(' 05 6f74686572 04 74657374 00 0001 0001 00000001 0004 0a000002'),
      hex(' c00c 0001 0001 00000001 0004 0a000003'),
    ]);
    assert.equal(big.length + 0x3fe3, 0x400c);
    const { entries, anomalies } = run([{ dir: 1, bytes: response, tsUs: 1 }], { transport: 'udp' });
    assert.deepEqual(anomalies, []);
    assert.deepEqual(
      msg(entries[0].response).answers.map((a) => [a.name, a.typeName]),
      [
        ['example.com', 'TYPE65280'],
        ['other.test', 'A'],
        ['example.com', 'A'],
      ],
    );
  });

  test('a pointer loop through two labels is caught too', () => {
    // question name at 12: label "a" then pointer to 16, where a pointer leads back to 12.
    const looped = hex('0002 0100 0001 0000 0000 0000  01 61 c010  c00c 0001 0001');
    const { anomalies } = run([{ dir: 0, bytes: looped, tsUs: 1 }], { transport: 'udp' });
    assert.deepEqual(anomalies, ['dns.compression_loop']);
  });

  test('names that differ only in octets the cache does not hash, alone or behind a pointer, come back exact', () => {
    // The cache hashes each label's length and first, middle and last octets: "a1c2e" and
    // "a3c4e" (offsets 1 and 3 differ) hash alike and must be told apart by the compare.
    const question = (label: string): Buffer =>
      Buffer.concat([
        hex('0001 0100 0001 0000 0000 0000'),
        Buffer.from(`\x05${label}\x04test\x00`, 'latin1'),
        hex('0001 0001'),
      ]);
    // A response whose question is `label`.test and whose CNAME answer is `other` + a pointer
    // to the question's "test" (offset 18): the answer's labels are in two runs of the message.
    const response = (label: string, other: string): Buffer =>
      Buffer.concat([
        hex('0001 8180 0001 0001 0000 0000'),
        Buffer.from(`\x05${label}\x04test\x00`, 'latin1'),
        hex('0001 0001 c00c 0005 0001 0000003c 0008'),
        Buffer.from(`\x05${other}`, 'latin1'),
        hex('c012'),
      ]);
    const quiet = { anomaly: () => undefined };
    for (const [a, b] of [
      ['a1c2e', 'a3c4e'],
      ['a3c4e', 'a1c2e'],
      ['a1c2e', 'a3c4e'],
    ]) {
      assert.equal(parseDnsMessage(question(a), false, quiet)?.questions[0].name, `${a}.test`);
      const r = parseDnsMessage(response(a, b), false, quiet);
      assert.equal(r?.questions[0].name, `${a}.test`);
      assert.deepEqual(r?.answers[0].data, `${b}.test`);
      assert.equal(r?.malformed, undefined);
    }
  });

  test('AAAA data in RFC 5952 text, an IPv4-mapped address in its mixed notation (RFC 5952 §5)', () => {
    // Response: question a.test AAAA, two answers by pointer to it: 2001:db8::1 and ::ffff:192.0.2.1.
    const response = hex(
      '0003 8180 0001 0002 0000 0000  01 61 04 74657374 00  001c 0001' +
        ' c00c 001c 0001 0000003c 0010 20010db8000000000000000000000001' +
        ' c00c 001c 0001 0000003c 0010 00000000000000000000ffffc0000201',
    );
    const r = parseDnsMessage(response, false, { anomaly: () => undefined });
    assert.deepEqual(
      r?.answers.map((a) => a.data),
      ['2001:db8::1', '::ffff:192.0.2.1'],
    );
  });

  test('names read again come back exact whatever was read between (recent names are cached)', () => {
    // Many more names than a cache could hold, names differing only in case, and labels
    // with bytes shown escaped (a dot inside a label as \., byte 1 as \001).
    const labels = (i: number): number[][] => [
      [...Buffer.from(`h${i}`)],
      i % 3 === 0 ? [...Buffer.from('EXAMPLE')] : [...Buffer.from('example')],
      i % 7 === 0 ? [0x61, 0x2e, 0x01] : [...Buffer.from('test')],
    ];
    const spelled = (i: number): string =>
      `h${i}.${i % 3 === 0 ? 'EXAMPLE' : 'example'}.${i % 7 === 0 ? 'a\\.\\001' : 'test'}`;
    const query = (i: number): Buffer =>
      Buffer.concat([
        hex('0001 0100 0001 0000 0000 0000'),
        Buffer.from(labels(i).flatMap((l) => [l.length, ...l])),
        hex('00 0001 0001'),
      ]);
    const count = 20_000;
    const order = [
      ...Array.from({ length: count }, (_, i) => i),
      ...Array.from({ length: count }, (_, i) => count - 1 - i),
    ];
    for (const i of order) {
      assert.equal(
        parseDnsMessage(query(i), false, { anomaly: () => undefined })?.questions[0].name,
        spelled(i),
      );
    }
  });
});
