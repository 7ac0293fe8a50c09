import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PCAP_DIR, corpusPcap } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import {
  assemble,
  endpointText,
  readSegments,
  tsharkFollowAll,
  type AssembledFlow,
} from './helpers/capture.js';

/** Captures whose every TCP stream must reassemble exactly as tshark's follow,tcp,raw does. */
const CAPTURES = [
  'pcapplusplus__one_http_stream_fin.pcap',
  'zeek__100-continue.pcap',
  'suricata-verify__http-protocol-nodup__input.pcap',
  'zeek__docker-http-upgrade.pcap',
  'pcapplusplus__four_ipv6_http_streams.pcap',
  'tcpdump__dns_tcp.pcap',
  'zeek__tunnels_vxlan-encapsulated-http.pcap',
  'zeek__cooper-grill-dvwa.pcapng',
  'suricata-verify__http2-range.pcap',
];

function tcpFlows(flows: Map<number, AssembledFlow>): AssembledFlow[] {
  return [...flows.values()].filter((f) => f.flow.proto === 6);
}

function endpoints(f: AssembledFlow): [string, string] {
  const { flow } = f;
  return [
    endpointText(flow.ipVersion, flow.clientAddr, flow.clientPort),
    endpointText(flow.ipVersion, flow.serverAddr, flow.serverPort),
  ];
}

describe('TCP reassembly of real captures equals tshark follow,tcp,raw', () => {
  for (const name of CAPTURES) {
    test(name, () => {
      const path = corpusPcap(name);
      const ours = tcpFlows(assemble(readSegments(path)));
      const count = ours.length;
      // One stream more than we found: tshark must know it as empty (no stream we missed).
      const followed = tsharkFollowAll(path, count + 1);
      assert.deepEqual(followed[count].nodes, [':0', ':0'], 'tshark has no more TCP streams than we do');
      for (let i = 0; i < count; i++) {
        const theirs = followed[i];
        const match = ours.find((f) => {
          const [c, s] = endpoints(f);
          return (
            (c === theirs.nodes[0] && s === theirs.nodes[1]) ||
            (c === theirs.nodes[1] && s === theirs.nodes[0])
          );
        });
        assert.ok(match, `stream ${i} (${theirs.nodes.join(' - ')}) found`);
        const clientIsNode0 = endpoints(match)[0] === theirs.nodes[0];
        const [n0, n1] = clientIsNode0 ? ([0, 1] as const) : ([1, 0] as const);
        assert.deepEqual(match.sink.gaps, [[], []], `stream ${i}: no gaps`);
        assert.ok(
          match.sink.bytes(n0).equals(theirs.bytes[0]),
          `stream ${i} node 0 bytes (${match.sink.bytes(n0).length} vs ${theirs.bytes[0].length})`,
        );
        assert.ok(
          match.sink.bytes(n1).equals(theirs.bytes[1]),
          `stream ${i} node 1 bytes (${match.sink.bytes(n1).length} vs ${theirs.bytes[1].length})`,
        );
        assert.equal(match.sink.ended, 1);
      }
    });
  }

  test('PcapPlusPlus golden output: one_http_stream_fin reassembled', () => {
    const ours = tcpFlows(assemble(readSegments(corpusPcap('pcapplusplus__one_http_stream_fin.pcap'))));
    assert.equal(ours.length, 1);
    // The golden file holds the client bytes then the server bytes of the one stream.
    const golden = readFileSync(
      join(PCAP_DIR, 'expected', 'pcapplusplus', 'pcapplusplus__one_http_stream_fin_output.txt'),
    );
    assert.ok(Buffer.concat([ours[0].sink.bytes(0), ours[0].sink.bytes(1)]).equals(golden));
  });

  test('a segment missing from a one-sided capture is a gap of its size, and the data after it is delivered', () => {
    const path = corpusPcap('pcapplusplus__unidirectional_tcp_stream_with_missing_packet.pcap');
    // The gap's size from tshark's own sequence analysis: next expected seq vs the seq that arrived.
    const rows = runTool('tshark', [
      '-r',
      path,
      '-T',
      'fields',
      '-e',
      'tcp.seq_raw',
      '-e',
      'tcp.len',
      '-e',
      'tcp.flags.syn',
    ])
      .trim()
      .split('\n')
      .map((l) => l.split('\t').map(Number));
    let expected = -1;
    let gapAfter = 0;
    let total = 0;
    for (let i = 1; i < rows.length; i++) {
      const [seq, len] = rows[i];
      const [pseq, plen, psyn] = rows[i - 1];
      const next = pseq + plen + psyn;
      if (seq > next) expected = seq - next;
      if (expected < 0) gapAfter += len;
      total += len;
    }
    assert.ok(expected > 0, 'tshark sees a hole');
    const ours = tcpFlows(assemble(readSegments(path)));
    assert.equal(ours.length, 1);
    const { sink, flow } = ours[0];
    const dir = sink.bytes(0).length > 0 ? 0 : 1;
    assert.deepEqual(sink.gaps[dir], [expected]);
    assert.equal(sink.withGaps(dir).length, total + expected);
    // tshark's follow stops at the hole: what precedes it must match.
    const theirs = tsharkFollowAll(path, 1)[0];
    const before = sink.events.find((e) => e.kind === 'data');
    assert.ok(before && before.kind === 'data' && before.bytes.equals(theirs.bytes[0]));
    assert.equal(sink.bytes(dir).length, total);
    assert.equal(gapAfter, theirs.bytes[0].length);
    assert.ok(flow.packets > 0);
  });
});
