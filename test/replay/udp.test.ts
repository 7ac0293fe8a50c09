import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { runTool } from '../helpers/tools.js';
import { extractReplayScript, replayStreamFile, REPLAY_ERROR_CODES as E } from '../../src/replay/index.js';
import { tempDir } from './helpers/capture.js';
import { captureUdpExchange } from './helpers/exchanges.js';
import { startUdpServer } from './helpers/servers.js';

/** Three datagrams of distinct sizes; the capturing server answered each with "ack <i>". */
const DATAGRAMS = [Buffer.from('ping'), Buffer.alloc(500, 0x62), Buffer.alloc(1400, 0x63)];

/** A UDP port nothing listens on. */
async function closedUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('UDP replay of a loopback capture', () => {
  const dir = tempDir();
  let capture: string | null = null;
  before(async () => {
    capture = await captureUdpExchange(dir, 'udp.pcap', DATAGRAMS);
  });
  after(() => runTool('rm', ['-rf', dir]));

  test('each datagram is one message, and arrives as one datagram', async (t) => {
    if (capture === null) return t.skip('tcpdump cannot capture on lo here');
    const script = await extractReplayScript(capture, { select: { transport: 'udp' } });
    assert.deepEqual(
      script.messages.map((m) => Buffer.from(m.bytes)),
      DATAGRAMS,
    );
    assert.deepEqual(
      script.messages.map((m) => m.responseBytes),
      ['ack 0', 'ack 1', 'ack 2'].map((s) => s.length),
    );
    const server = await startUdpServer((i) => Buffer.from(`ack ${i}`));
    try {
      const report = await replayStreamFile(capture, { to: `127.0.0.1:${server.port}`, count: 2 });
      assert.equal(report.summary.ok, 2);
      assert.deepEqual(server.datagrams, [...DATAGRAMS, ...DATAGRAMS]);
      assert.equal(report.runs[0].bytesReceived, 15);
    } finally {
      await server.close();
    }
  });

  test('nobody listening: REPLAY_CONNECT_REFUSED (ICMP port unreachable)', async (t) => {
    if (capture === null) return t.skip('tcpdump cannot capture on lo here');
    const report = await replayStreamFile(capture, { to: `127.0.0.1:${await closedUdpPort()}` });
    assert.equal(report.runs[0].error?.code, E.CONNECT_REFUSED);
  });

  test('a silent server: REPLAY_TIMEOUT', async (t) => {
    if (capture === null) return t.skip('tcpdump cannot capture on lo here');
    const server = await startUdpServer(() => null);
    try {
      const report = await replayStreamFile(capture, { to: `127.0.0.1:${server.port}`, timeoutMs: 200 });
      assert.equal(report.runs[0].error?.code, E.TIMEOUT);
      assert.deepEqual(server.datagrams, [DATAGRAMS[0]]);
    } finally {
      await server.close();
    }
  });
});
