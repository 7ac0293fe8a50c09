import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import {
  extractReplayScript,
  parseTupleSelector,
  replayScript,
  replayStreamFile,
  type ReplayScript,
} from '../../src/replay/index.js';
import type { Endpoint } from '../../src/dissect/entry.js';
import { clientTurns, nodeBytes, tsharkFollow, type FollowedTurns } from './helpers/follow.js';
import { messageEnds, startTurnServer, startUdpServer } from './helpers/servers.js';
import { tempDir } from './helpers/capture.js';

/**
 * Corpus captures merged into one pcapng (mergecap), so that one tshark run (its start-up
 * costs ~3 s) follows every stream of all of them.
 */
const CAPTURES = [
  'suricata-verify__http-protocol-nodup__input.pcap', // 40 pipelined GETs in 3 turns
  'zeek__docker-http-upgrade.pcap', // 3 connections; one an interactive shell, ~40 one-byte turns
  'zeek__100-continue.pcap', // headers, 100 Continue, then a 63 KB body
  'pcapplusplus__four_ipv6_http_streams.pcap', // IPv6, LINKTYPE_RAW
  'tcpdump__dns_tcp.pcap',
  'tcpdump__dns_udp.pcap', // the one UDP stream
];
const TCP_STREAMS = 10;

function endpointText(e: Endpoint): string {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

/** Which tshark node the extracted script calls the client. */
function clientNodeOf(script: ReplayScript, f: FollowedTurns): 0 | 1 {
  const client = endpointText(script.client);
  assert.ok(f.nodes.includes(client), `client ${client} is one of tshark's nodes ${f.nodes.join(' ')}`);
  return f.nodes[0] === client ? 0 : 1;
}

/** The script's turns equal tshark's: same client bytes per turn, same answer sizes. */
function assertSameTurns(script: ReplayScript, f: FollowedTurns, datagrams: boolean): 0 | 1 {
  const node = clientNodeOf(script, f);
  const theirs = clientTurns(f, node, datagrams);
  assert.equal(script.messages.length, theirs.length, 'turn count');
  script.messages.forEach((m, i) => {
    assert.ok(
      Buffer.from(m.bytes).equals(theirs[i].bytes),
      `turn ${i} bytes (${m.bytes.length} vs ${theirs[i].bytes.length})`,
    );
    assert.equal(m.responseBytes, theirs[i].answer, `turn ${i} answer size`);
    assert.equal(m.gapBytes, 0);
  });
  assert.equal(script.greetingBytes, 0);
  return node;
}

/** Replays a TCP script to a server that answers each message with tshark's original answer. */
async function assertTcpReplay(script: ReplayScript, f: FollowedTurns, node: 0 | 1): Promise<void> {
  const turns = clientTurns(f, node, false);
  const server = await startTurnServer(messageEnds(turns.map((t) => t.bytes)), splitAnswers(f, node));
  try {
    const report = await replayScript(script, { to: `127.0.0.1:${server.port}`, idleMs: 50 });
    assert.equal(report.summary.failed, 0, JSON.stringify(report.runs[0].error));
    assert.equal(server.connections.length, 1);
    const received = Buffer.concat(server.connections[0].chunks);
    assert.ok(received.equals(nodeBytes(f, node)), `server got the client bytes (${received.length})`);
    assert.equal(server.crossed(), 0, 'no chunk ran past a message end: one message per turn');
    assert.equal(report.runs[0].bytesReceived, nodeBytes(f, node === 0 ? 1 : 0).length);
  } finally {
    await server.close();
  }
}

describe('replay of corpus streams: extraction equals tshark follow, the server gets exactly the client bytes', () => {
  const dir = tempDir();
  const merged = join(dir, 'merged.pcapng');
  let tcp: FollowedTurns[] = [];
  let udp: FollowedTurns[] = [];
  before(() => {
    runTool('mergecap', ['-w', merged, ...CAPTURES.map(corpusPcap)]);
    // One stream index past the last: tshark must know it as empty (no stream is left out).
    const followed = tsharkFollow(merged, [
      ...Array.from({ length: TCP_STREAMS + 1 }, (_, i) => `tcp,raw,${i}`),
      'udp,raw,0',
    ]);
    tcp = followed.slice(0, TCP_STREAMS + 1);
    udp = followed.slice(TCP_STREAMS + 1);
  });
  after(() => runTool('rm', ['-rf', dir]));

  test(`all ${TCP_STREAMS} TCP streams, each selected by its tuple`, async () => {
    assert.deepEqual(tcp[TCP_STREAMS].nodes, [':0', ':0']);
    for (const f of tcp.slice(0, TCP_STREAMS)) {
      const script = await extractReplayScript(merged, {
        select: parseTupleSelector(`tcp ${f.nodes[0]} ${f.nodes[1]}`),
      });
      await assertTcpReplay(script, f, assertSameTurns(script, f, false));
    }
  });

  test('the UDP stream: one datagram per message', async () => {
    const [f] = udp;
    const script = await extractReplayScript(merged, { select: { transport: 'udp' } });
    const node = assertSameTurns(script, f, true);
    const answer = nodeBytes(f, node === 0 ? 1 : 0);
    const server = await startUdpServer(() => answer);
    try {
      const report = await replayScript(script, { to: `127.0.0.1:${server.port}` });
      assert.equal(report.summary.failed, 0);
      assert.deepEqual(
        server.datagrams,
        clientTurns(f, node, true).map((t) => t.bytes),
      );
      assert.equal(report.runs[0].bytesReceived, answer.length);
    } finally {
      await server.close();
    }
  });
});

describe('stream files cut from a corpus capture', () => {
  const dir = tempDir();
  after(() => runTool('rm', ['-rf', dir]));

  test('each docker-http-upgrade connection as its own pcap replays with the default selector', async () => {
    const path = corpusPcap('zeek__docker-http-upgrade.pcap');
    // The client ports of the three connections (tshark follow above names them).
    for (const port of [48648, 48656, 48666]) {
      const file = join(dir, `stream-${port}.pcap`);
      runTool('tcpdump', ['-r', path, '-w', file, `tcp port ${port}`]);
      const fromStreamFile = await extractReplayScript(file);
      const fromCapture = await extractReplayScript(path, {
        select: parseTupleSelector(`192.168.122.1:${port} 192.168.122.87:2375`),
      });
      assert.equal(fromStreamFile.client.port, port);
      assert.deepEqual(
        fromStreamFile.messages.map((m) => Buffer.from(m.bytes).toString('hex')),
        fromCapture.messages.map((m) => Buffer.from(m.bytes).toString('hex')),
      );
    }
  });

  test('--compare of the 40 pipelined responses against the same answers finds no difference', async () => {
    const path = corpusPcap('suricata-verify__http-protocol-nodup__input.pcap');
    const script = await extractReplayScript(path, { keepResponses: true });
    const replies = script.messages.map((m) =>
      Buffer.concat((m.response ?? []).map((p) => (typeof p === 'number' ? Buffer.alloc(p) : p))),
    );
    const server = await startTurnServer(messageEnds(script.messages.map((m) => m.bytes)), replies);
    try {
      const report = await replayStreamFile(path, { to: `127.0.0.1:${server.port}`, compare: true });
      assert.ok(report.comparison);
      assert.equal(report.comparison.original.length, 40);
      assert.equal(report.comparison.replayed.length, 40);
      assert.ok(report.comparison.original.every((r) => r.status === 404));
      assert.deepEqual(report.comparison.differences, []);
    } finally {
      await server.close();
    }
  });
});

/** tshark's server bytes grouped into the answers to each client turn. */
function splitAnswers(f: FollowedTurns, clientNode: 0 | 1): Buffer[] {
  const answers: Buffer[][] = [];
  let previous: 0 | 1 | null = null;
  for (const c of f.chunks) {
    if (c.node === clientNode) {
      if (previous !== clientNode) answers.push([]);
    } else answers[answers.length - 1]?.push(c.bytes);
    previous = c.node;
  }
  return answers.map((parts) => Buffer.concat(parts));
}
