import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runTool } from '../helpers/tools.js';
import {
  extractReplayScript,
  replayScript,
  replayStreamFile,
  type ReplayScript,
} from '../../src/replay/index.js';
import { tempDir } from './helpers/capture.js';
import { captureTcpExchange } from './helpers/exchanges.js';
import { messageEnds, startTcpServer, startTurnServer } from './helpers/servers.js';
import { handScript } from './helpers/scripts.js';

/** The exchange this file captures: three client turns, the second larger than one loopback segment. */
const MESSAGES = [
  Buffer.from('HELLO replay\r\n'),
  Buffer.concat([Buffer.from('BULK '), Buffer.alloc(100_000, 0x61), Buffer.from('\r\n')]),
  Buffer.from('BYE\r\n'),
];
const REPLIES = [
  Buffer.from('+OK hello\r\n'),
  Buffer.from('+OK got 100007 bytes\r\n'),
  Buffer.from('+OK bye\r\n'),
];

describe('replay of an exchange captured on loopback with tcpdump', () => {
  const dir = tempDir();
  let capture: string | null = null;
  before(async () => {
    capture = await captureTcpExchange(dir, 'turns.pcap', MESSAGES, REPLIES);
  });
  after(() => runTool('rm', ['-rf', dir]));

  test('the capture yields the three client turns and the answer sizes', async (t) => {
    if (capture === null) return t.skip('tcpdump cannot capture on lo here');
    const script = await extractReplayScript(capture);
    assert.equal(script.transport, 'tcp');
    assert.equal(script.server.ip, '127.0.0.1');
    assert.deepEqual(
      script.messages.map((m) => Buffer.from(m.bytes)),
      MESSAGES,
    );
    assert.deepEqual(
      script.messages.map((m) => m.responseBytes),
      REPLIES.map((r) => r.length),
    );
    assert.deepEqual(script.gaps, []);
    // Capture times are in order and the second turn came after the first answer.
    assert.ok(
      script.messages[0].tsUs <= script.messages[1].tsUs &&
        script.messages[1].tsUs <= script.messages[2].tsUs,
    );
  });

  test('a turn-by-turn server gets exactly the client bytes, one message per turn', async (t) => {
    if (capture === null) return t.skip('tcpdump cannot capture on lo here');
    const server = await startTurnServer(messageEnds(MESSAGES), REPLIES);
    try {
      const report = await replayStreamFile(capture, { to: `127.0.0.1:${server.port}` });
      assert.equal(report.summary.ok, 1);
      assert.equal(server.connections.length, 1);
      assert.ok(Buffer.concat(server.connections[0].chunks).equals(Buffer.concat(MESSAGES)));
      assert.equal(server.crossed(), 0);
      const run = report.runs[0];
      assert.equal(run.messagesSent, 3);
      assert.equal(
        run.bytesSent,
        MESSAGES.reduce((s, m) => s + m.length, 0),
      );
      assert.equal(
        run.bytesReceived,
        REPLIES.reduce((s, m) => s + m.length, 0),
      );
    } finally {
      await server.close();
    }
  });

  test('--count 12 --concurrency 3: 12 connections, never more than 3 at once, percentiles reported', async (t) => {
    if (capture === null) return t.skip('tcpdump cannot capture on lo here');
    // Each answer comes 40 ms late, so three runs are always open together.
    const server = await startTurnServer(messageEnds(MESSAGES), REPLIES, 40);
    try {
      const report = await replayStreamFile(capture, {
        to: `127.0.0.1:${server.port}`,
        count: 12,
        concurrency: 3,
      });
      assert.equal(server.connections.length, 12);
      assert.equal(server.maxActive, 3);
      for (const c of server.connections) assert.ok(Buffer.concat(c.chunks).equals(Buffer.concat(MESSAGES)));
      assert.equal(report.summary.ok, 12);
      assert.deepEqual(
        report.runs.map((r) => r.run),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      );
      const l = report.summary.latencyMs!;
      assert.equal(l.count, 12);
      assert.ok(l.min >= 3 * 40 - 5, `three delayed answers per run (min ${l.min})`);
      assert.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
      assert.equal(l.max, Math.max(...report.runs.map((r) => r.latencyMs)));
    } finally {
      await server.close();
    }
  });
});

describe('pacing', () => {
  /** Replays `script` to a server answering each message with "ok\n"; what arrived, and when. */
  async function replayTimed(
    script: ReplayScript,
    opts: { pace?: 'original' | 'none'; speed?: number },
  ): Promise<{ latencyMs: number; chunks: Buffer[]; times: number[] }> {
    const ends = messageEnds(script.messages.map((m) => m.bytes));
    const server = await startTurnServer(
      ends,
      ends.map(() => Buffer.from('ok\n')),
    );
    try {
      const report = await replayScript(script, { to: `127.0.0.1:${server.port}`, ...opts });
      assert.equal(report.summary.ok, 1);
      const { chunks, times } = server.connections[0];
      return { latencyMs: report.runs[0].latencyMs, chunks, times };
    } finally {
      await server.close();
    }
  }

  test('--pace original --speed 2 keeps the captured gaps, halved', async () => {
    // Captured at +0, +300, +600 ms: at speed 2 due at +150 and +300 ms after the first.
    const script = handScript(['m0\n', 'm1\n', 'm2\n'], [0, 300_000, 600_000]);
    const { latencyMs, chunks, times } = await replayTimed(script, { pace: 'original', speed: 2 });
    assert.deepEqual(
      chunks,
      script.messages.map((m) => m.bytes),
    );
    // Timers never fire early; a loaded machine only adds.
    assert.ok(times[1] - times[0] >= 145, `message 2 at +${times[1] - times[0]} ms`);
    assert.ok(times[2] - times[0] >= 295, `message 3 at +${times[2] - times[0]} ms`);
    assert.ok(latencyMs >= 295);
  });

  test('--pace none (the default) does not wait for the captured gaps', async () => {
    // Captured a minute apart: paced, this run would take two minutes.
    const script = handScript(['m0\n', 'm1\n', 'm2\n'], [0, 60e6, 120e6]);
    const { latencyMs, chunks } = await replayTimed(script, {});
    assert.deepEqual(
      chunks,
      script.messages.map((m) => m.bytes),
    );
    assert.ok(latencyMs < 30_000, `no pacing: ${latencyMs} ms`);
  });
});

describe('a server that speaks first', () => {
  test('the client waits for the greeting the capture had before its first message', async () => {
    const script = handScript(['a\n', 'b\n'], [0, 1]);
    script.greetingBytes = 6;
    let greetedAt = Infinity;
    const server = await startTcpServer(
      (conn) => conn.socket.write('ok\n'),
      (conn) =>
        setTimeout(() => {
          greetedAt = performance.now();
          conn.socket.write('hello\n');
        }, 100),
    );
    try {
      const report = await replayScript(script, { to: `127.0.0.1:${server.port}` });
      assert.equal(report.summary.ok, 1, JSON.stringify(report.runs[0]));
      assert.equal(report.runs[0].bytesReceived, 6 + 3 + 3);
      assert.ok(server.connections[0].times[0] >= greetedAt, 'first message after the greeting');
    } finally {
      await server.close();
    }
  });
});
