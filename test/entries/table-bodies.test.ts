/**
 * The entry table shows no bodies, so its run counts bodies without keeping or decoding them
 * (DissectLimits.bodyText off). That must change nothing the table shows: its lines are the
 * lines of the entries the JSON-lines run (bodies kept, decoded, and checked against tshark in
 * the differential tests) gives, including body_truncated flags and gzip, chunked and HTTP/2
 * bodies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
