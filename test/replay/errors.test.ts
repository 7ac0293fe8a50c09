import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import {
  extractReplayScript,
  replayScript,
  REPLAY_ERROR_CODES as E,
  type ReplayScript,
} from '../../src/replay/index.js';
import { tempDir } from './helpers/capture.js';
import { closedPort, startTcpServer } from './helpers/servers.js';
import { handScript } from './helpers/scripts.js';
import { join } from 'node:path';

/** Three turns, each answered by 3 bytes in the "capture". */
const script = (): ReplayScript => handScript(['one\n', 'two\n', 'three\n'], [0, 1, 2]);

describe('run errors are typed', () => {
  test('a closed port: REPLAY_CONNECT_REFUSED, nothing sent', async () => {
    const port = await closedPort();
    const report = await replayScript(script(), { to: `127.0.0.1:${port}`, count: 3, concurrency: 2 });
    assert.deepEqual(report.summary.errors, { [E.CONNECT_REFUSED]: 3 });
    assert.ok(report.runs.every((r) => r.status === 'error' && r.messagesSent === 0 && r.connectMs === null));
    assert.equal(report.summary.latencyMs, null);
  });

  test('a silent server: REPLAY_TIMEOUT after the first message', async () => {
    const server = await startTcpServer(() => {});
    try {
      const report = await replayScript(script(), { to: `127.0.0.1:${server.port}`, timeoutMs: 300 });
      assert.equal(report.runs[0].error?.code, E.TIMEOUT);
      assert.equal(report.runs[0].messagesSent, 1);
      assert.ok(report.runs[0].latencyMs >= 295);
      assert.equal(Buffer.concat(server.connections[0].chunks).toString(), 'one\n');
    } finally {
      await server.close();
    }
  });

  test('a server that resets: REPLAY_RESET', async () => {
    const server = await startTcpServer((conn) => conn.socket.resetAndDestroy());
    try {
      const report = await replayScript(script(), { to: `127.0.0.1:${server.port}` });
      assert.equal(report.runs[0].error?.code, E.RESET);
    } finally {
      await server.close();
    }
  });

  test('a server that closes after the first answer: REPLAY_PEER_CLOSED', async () => {
    const server = await startTcpServer((conn) => {
      if (conn.turn++ > 0) return;
      conn.socket.write('ok\n');
      setTimeout(() => conn.socket.end(), 50);
    });
    try {
      const report = await replayScript(script(), { to: `127.0.0.1:${server.port}`, idleMs: 20 });
      assert.equal(report.runs[0].error?.code, E.PEER_CLOSED);
      assert.ok(report.runs[0].messagesSent < 3);
    } finally {
      await server.close();
    }
  });

  test('the whole run is bounded: REPLAY_TIMEOUT when pacing would outlast --run-timeout', async () => {
    const s = script();
    s.messages[1].tsUs = s.messages[0].tsUs + 10_000_000; // 10 s after the first message
    const server = await startTcpServer((conn) => conn.socket.write('ok\n'));
    try {
      const report = await replayScript(s, {
        to: `127.0.0.1:${server.port}`,
        pace: 'original',
        runTimeoutMs: 300,
      });
      assert.equal(report.runs[0].error?.code, E.TIMEOUT);
      assert.equal(report.runs[0].messagesSent, 1);
      assert.ok(report.runs[0].latencyMs < 5_000);
    } finally {
      await server.close();
    }
  });

  test('out-of-bounds options are usage errors before anything is sent', async () => {
    for (const bad of [
      { count: 0 },
      { count: 100_001 },
      { concurrency: 1001 },
      { timeoutMs: 0 },
      { speed: 0 },
    ]) {
      await assert.rejects(replayScript(script(), { to: '127.0.0.1:9', ...bad }), { code: E.BAD_OPTION });
    }
    await assert.rejects(replayScript(script(), { to: 'nowhere' }), { code: E.BAD_TARGET });
  });
});

describe('stream errors are typed', () => {
  test('a client gap is refused (REPLAY_STREAM_GAP) unless allowGaps', async () => {
    const path = corpusPcap('pcapplusplus__unidirectional_tcp_stream_with_missing_packet.pcap');
    // tcpdump -n shows client data seq 0:1420, then 2840:2871, ..., 8551:9948 (relative):
    // 1420 bytes at offset 1420 were never captured; 9948 - 1420 = 8528 bytes were.
    await assert.rejects(extractReplayScript(path), (err: { code: string; details: { gap: unknown } }) => {
      assert.equal(err.code, E.STREAM_GAP);
      assert.deepEqual(err.details.gap, { dir: 0, offset: 1420, length: 1420 });
      return true;
    });
    const s = await extractReplayScript(path, { allowGaps: true });
    assert.equal(s.messages.length, 1, 'no server bytes: one turn');
    assert.equal(s.messages[0].bytes.length, 8528);
    assert.equal(s.messages[0].gapBytes, 1420);
  });

  test('no matching stream: REPLAY_NO_STREAM; a stream without client bytes: REPLAY_EMPTY_STREAM', async () => {
    const path = corpusPcap('pcapplusplus__one_http_stream_fin.pcap');
    await assert.rejects(extractReplayScript(path, { select: { transport: 'udp' } }), { code: E.NO_STREAM });
    await assert.rejects(extractReplayScript(path, { select: { streamId: 5 } }), { code: E.NO_STREAM });
    // Only the server's packets (from its SYN-ACK on): the client side carries nothing.
    const dir = tempDir();
    try {
      const serverOnly = join(dir, 'server-only.pcap');
      runTool('tcpdump', ['-r', path, '-w', serverOnly, 'tcp src port 80']);
      await assert.rejects(extractReplayScript(serverOnly), { code: E.EMPTY_STREAM });
    } finally {
      runTool('rm', ['-rf', dir]);
    }
  });

  test('a file that is not a capture keeps its capture error code', async () => {
    await assert.rejects(extractReplayScript(corpusPcap('MANIFEST.md')), { code: 'PCAP_BAD_MAGIC' });
  });
});
