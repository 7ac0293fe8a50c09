/**
 * The HAR output. It is written an entry at a time so that memory does not grow with the
 * capture, yet it must be the document a one-shot `JSON.stringify(doc, null, 2)` writes: the
 * reference here is JSON.stringify itself, re-serializing the parsed output. Its entries are the
 * HTTP, HTTP/2 and gRPC entries of the JSON-lines run, in the same order, and nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusPcap } from '../helpers/corpus.js';
import { entriesOf, entriesOutput } from './run-entries.js';

interface HarDocument {
  log: {
    version: string;
    creator: { name: string };
    entries: { request: { method: string; url: string }; response: { status: number } }[];
  };
}

const CAPTURES = [
  // many HTTP/1.1 entries, several with bodies
  'suricata-verify__http-protocol-nodup__input.pcap',
  // HTTP/2 with bodies
  'suricata-verify__http2-keywords__input.pcap',
  // gRPC
  'packt-grpc__Bidi_Streaming.pcapng',
  // DNS only: an empty entries array
  'pcapplusplus__DnsPackets.pcap',
];

for (const name of CAPTURES) {
  test(`HAR written entry by entry is the one-shot JSON document: ${name}`, async () => {
    const file = corpusPcap(name);
    const har = await entriesOutput(file, 'har');
    const doc = JSON.parse(har) as HarDocument;
    assert.equal(har, JSON.stringify(doc, null, 2) + '\n');
    assert.equal(doc.log.version, '1.2');
    assert.equal(doc.log.creator.name, 'meshtap');

    const http = (await entriesOf(file)).filter((e) => ['http', 'http2', 'grpc'].includes(e.protocol));
    assert.deepEqual(
      doc.log.entries.map((e) => [e.request.method, e.response.status]),
      http.map((e) => [e.request?.method ?? 'POST', e.response?.status ?? 0]),
    );
  });
}
