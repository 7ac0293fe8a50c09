import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request, type Server } from 'node:http';
import { runTool } from '../helpers/tools.js';
import { replayStreamFile, REPLAY_ERROR_CODES as E } from '../../src/replay/index.js';
import { captureLoopback, tempDir } from './helpers/capture.js';
import { startUdpServer } from './helpers/servers.js';

/** GET /a answers 200 {"a":1}; POST /b answers `bStatus` with `bBody`. */
async function httpServer(bStatus: number, bBody: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/a') res.end('{"a":1}');
      else {
        res.statusCode = bStatus;
        res.end(bBody);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Two requests on one keep-alive connection: GET /a, then POST /b. */
async function twoRequests(port: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (const [method, path] of [
    ['GET', '/a'],
    ['POST', '/b'],
  ]) {
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(method === 'POST' ? '{"b":2}' : undefined);
    });
  }
  agent.destroy();
}

describe('--compare: HTTP/1 responses of the replay against the captured ones', () => {
  const dir = tempDir();
  let capture: string | null = null;
  before(async () => {
    const { server, port } = await httpServer(201, 'created');
    try {
      capture = await captureLoopback(dir, 'http.pcap', `tcp port ${port}`, () => twoRequests(port));
    } finally {
      server.close();
    }
  });
  after(() => runTool('rm', ['-rf', dir]));

  test('the same server behaviour: no difference (Date is ignored)', async (t) => {
    if (capture === null) return t.skip('tcpdump cannot capture on lo here');
    const { server, port } = await httpServer(201, 'created');
    try {
      const report = await replayStreamFile(capture, { to: `127.0.0.1:${port}`, compare: true });
      assert.equal(report.summary.ok, 1);
      const c = report.comparison!;
      assert.deepEqual(
        c.original.map((r) => [r.request, r.status, r.bodySize]),
        [
          ['GET /a', 200, 7],
          ['POST /b', 201, 7],
        ],
      );
      assert.deepEqual(c.differences, []);
      assert.equal(report.runs[0].differences, 0);
    } finally {
      server.close();
    }
  });

  test('a changed status and body are reported for the response that changed', async (t) => {
    if (capture === null) return t.skip('tcpdump cannot capture on lo here');
    const { server, port } = await httpServer(404, 'nope');
    try {
      const report = await replayStreamFile(capture, { to: `127.0.0.1:${port}`, compare: true, count: 2 });
      assert.deepEqual(report.comparison!.differences, [
        { index: 1, kind: 'status', original: 201, replayed: 404 },
        { index: 1, kind: 'body_size', original: 7, replayed: 4 },
        { index: 1, kind: 'header_changed', header: 'content-length', original: '7', replayed: '4' },
      ]);
      assert.equal(report.summary.runsWithDifferences, 2);
    } finally {
      server.close();
    }
  });

  test('--compare on a stream that is not HTTP/1 is refused', async () => {
    const { corpusPcap } = await import('../helpers/corpus.js');
    const server = await startUdpServer(() => null);
    try {
      await assert.rejects(
        replayStreamFile(corpusPcap('tcpdump__dns_udp.pcap'), {
          to: `127.0.0.1:${server.port}`,
          compare: true,
        }),
        { code: E.COMPARE_UNSUPPORTED },
      );
      assert.equal(server.datagrams.length, 0, 'refused before sending');
    } finally {
      await server.close();
    }
  });
});
