import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { meshtapAsync } from '../helpers/cli.js';
import { corpusPcap } from '../helpers/corpus.js';
import { buildProgram } from '../../src/cli/program.js';
import { UsageError } from '../../src/util/errors.js';
import { startTcpServer } from './helpers/servers.js';

const ONE_GET = corpusPcap('pcapplusplus__one_http_stream_fin.pcap');

/** The CLI in a child process (the test's server runs in this one). */
function replayCli(port: number, ...flags: string[]): ReturnType<typeof meshtapAsync> {
  return meshtapAsync(['replay', ONE_GET, '--to', `127.0.0.1:${port}`, ...flags]);
}

describe('meshtap replay (CLI)', () => {
  test('--help states that only --to is ever sent to', () => {
    const replay = buildProgram().commands.find((c) => c.name() === 'replay')!;
    let help = '';
    replay.configureOutput({ writeOut: (text) => (help += text) });
    replay.outputHelp();
    assert.match(help, /--to <host:port>/);
    assert.match(help, /Safety: replay sends only to the HOST:PORT given with --to/);
  });

  test('a bad --to or an out-of-bounds --count is a usage error with a code', async () => {
    const run = (args: string[]): Promise<unknown> =>
      buildProgram().parseAsync(['node', 'meshtap', 'replay', ONE_GET, ...args]);
    await assert.rejects(run(['--to', 'no-port']), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.code, 'REPLAY_BAD_TARGET');
      return true;
    });
    await assert.rejects(run(['--to', '127.0.0.1:9', '--count', '100001']), { code: 'REPLAY_BAD_OPTION' });
    await assert.rejects(run(['--to', '127.0.0.1:9', '--tuple', '10.0.0.1:1']), {
      code: 'REPLAY_BAD_SELECTOR',
    });
  });

  test('--compare --json: a 404 where the capture had a 200', async () => {
    // The capture's one request got "200 OK" with a 3308-byte text/plain body (Content-Length 3308).
    const server = await startTcpServer((conn) =>
      conn.socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'),
    );
    try {
      const r = await replayCli(server.port, '--compare', '--json');
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      const diffs = report.comparison.differences;
      assert.deepEqual(diffs[0], { index: 0, kind: 'status', original: 200, replayed: 404 });
      assert.deepEqual(diffs[1], { index: 0, kind: 'body_size', original: 3308, replayed: 0 });
      assert.equal(report.stream.server.port, 80, 'the original server is reported, not contacted');
      assert.equal(report.target.port, server.port);
      assert.equal(server.connections.length, 1);
    } finally {
      await server.close();
    }
  });

  test('the table lists runs, errors and latency percentiles; a failed run exits 1', async () => {
    // The fourth connection is reset, the others answered.
    const server = await startTcpServer((conn) => {
      if (server.connections.indexOf(conn) === 3) conn.socket.resetAndDestroy();
      else conn.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    try {
      const r = await replayCli(server.port, '--count', '4', '--concurrency', '2');
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stdout, /^run +status +messages +sent +received/m);
      assert.equal(r.stdout.match(/^\d+ +ok +1\/1 +367 /gm)?.length, 3);
      assert.equal(r.stdout.match(/^\d+ +error .*REPLAY_RESET/gm)?.length, 1);
      assert.match(r.stdout, /runs 4: 3 ok, 1 failed \(REPLAY_RESET 1\)/);
      assert.match(r.stdout, /latency ms over 3 ok runs: p50 [\d.]+ +p90 [\d.]+ +p99 [\d.]+ +max [\d.]+/);
      assert.equal(server.connections.length, 4);
    } finally {
      await server.close();
    }
  });
});
