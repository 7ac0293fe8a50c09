/**
 * The entry table. It shows no bodies, so its run counts bodies without keeping or decoding them
 * (DissectLimits.bodyText off). That must change nothing the table shows: its lines are the
 * lines of the entries the JSON-lines run (bodies kept, decoded, and checked against tshark in
 * the differential tests) gives, including body_truncated flags and gzip, chunked and HTTP/2
 * bodies. Its ELAPSED column is spelled without toFixed, to the same text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Entry } from '../../src/dissect/entry.js';
import { entryTableRow, TABLE_HEADER } from '../../src/pipeline/entry-format.js';
import { corpusPcap } from '../helpers/corpus.js';
import { entriesOf, entriesOutput } from './run-entries.js';

const WITH_BODIES = [
  'suricata-verify__http-protocol-nodup__input.pcap',
  'pcapplusplus__four_ipv6_http_streams.pcap',
  'suricata-verify__http2-keywords__input.pcap',
  'suricata-verify__bug-5929-02__http2_multiple_headers.pcap',
  'pcapplusplus__unidirectional_tcp_stream_with_missing_packet.pcap',
  'zeek__100-continue.pcap',
];

for (const name of WITH_BODIES) {
  test(`table without bodies = table of the full entries: ${name}`, async () => {
    const file = corpusPcap(name);
    const entries = await entriesOf(file);
    assert.ok(
      entries.some((e) => e.request?.body || e.response?.body),
      'the capture has bodies',
    );
    const table = await entriesOutput(file, 'table');
    assert.equal(table, [TABLE_HEADER, ...entries.map(entryTableRow), ''].join('\n'));
  });
}

test('the ELAPSED column is what (µs / 1000).toFixed(3) gives, for whole and fractional microseconds of either sign', () => {
  const entry = (elapsedUs: number): Entry => ({
    id: '1',
    protocol: 'http',
    transport: 'tcp',
    streamId: 0,
    index: 0,
    src: { ip: '192.0.2.1', port: 40000 },
    dst: { ip: '192.0.2.2', port: 80 },
    timestampUs: 1_700_000_000_000_000,
    elapsedUs,
    request: null,
    response: null,
    requestSize: 0,
    responseSize: 0,
    flags: [],
  });
  const samples = [
    0,
    1,
    9,
    10,
    99,
    100,
    999,
    1000,
    1001,
    -1,
    -500,
    -1500,
    123_456_789,
    2 ** 40 + 7,
    1.5,
    -0.25,
  ];
  samples.push(...fc.sample(fc.integer({ min: -1e9, max: 1e12 }), { numRuns: 2_000, seed: 3 }));
  for (const us of samples) {
    assert.equal(entryTableRow(entry(us)).split('\t').at(-1), `${(us / 1000).toFixed(3)}ms`, String(us));
  }
});
