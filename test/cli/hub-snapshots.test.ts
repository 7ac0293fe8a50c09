/**
 * `meshtap snapshot take|list|download|delete` as a user runs them: the CLI in a child process
 * against a real hub (`startTap` serving a corpus capture on loopback, a real store).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tap } from '../../src/hub/tap.js';
import { storedEntries, withOpenedSnapshot } from '../../src/snapshot/snapshot-input.js';
import { meshtapAsync } from '../helpers/cli.js';
import { corpusPcap } from '../helpers/corpus.js';
import { startCaptureTap } from '../helpers/tap.js';
import { runTool } from '../helpers/tools.js';

const SOURCE = corpusPcap('pcapplusplus__four_ipv6_http_streams.pcap');

type Run = Awaited<ReturnType<typeof meshtapAsync>>;

describe('meshtap snapshot commands against a hub', { timeout: 300_000 }, () => {
  let dir: string;
  let tap: Tap;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshtap-cli-snapshots-'));
    tap = await startCaptureTap(join(dir, 'data'), SOURCE);
  });
  after(async () => {
    await tap?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI in `dir` (default download names land there), talking to the hub. */
  const cliWithToken = (token: string, ...args: string[]): Promise<Run> =>
    meshtapAsync(['snapshot', ...args, '--hub', tap.url, '--token', token], { cwd: dir });
  const cli = (...args: string[]): Promise<Run> => cliWithToken(tap.token!, ...args);

  test('take, list, download and delete a snapshot; the download has the entries of the query', async () => {
    const query = 'http and request.path == r"^/images/"';
    // The reference: tshark's HTTP request URIs of the capture the hub ingested.
    const images = runTool('tshark', [
      '-r',
      SOURCE,
      '-Y',
      'http.request',
      '-T',
      'fields',
      '-e',
      'http.request.uri',
    ])
      .split('\n')
      .filter((uri) => uri.startsWith('/images/'));
    assert.equal(images.length, 3, 'the corpus file has three /images/ requests');
    const taken = await cli('take', 'images', '-q', query);
    assert.equal(taken.status, 0, taken.stderr);
    // Three requests in three TCP streams (test/hub/snapshot-routes.test.ts checks the streams with tshark).
    assert.match(taken.stdout, /^images\.tar\.gz: 3 streams, 3 entries, \d+ bytes\n$/);

    const listed = await cli('list');
    assert.equal(listed.status, 0, listed.stderr);
    const rows = listed.stdout.trim().split('\n');
    assert.equal(rows.length, 2);
    assert.match(
      rows[1]!,
      /^\S+\s+\d+\s+3\s+3 {2}images\.tar\.gz {2}http and request\.path == r"\^\/images\/"$/,
    );

    const got = await cli('download', 'images');
    assert.equal(got.status, 0, got.stderr);
    const file = join(dir, 'images.tar.gz');
    const paths = await withOpenedSnapshot(file, async (store) =>
      [...storedEntries(store)].flat().map((e) => (e.request as { path: string }).path),
    );
    assert.deepEqual(paths.sort(), images.sort());

    const before = readFileSync(file);
    const again = await cli('download', 'images');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /\[CLI_OUTPUT_EXISTS\]/);
    assert.deepEqual(readFileSync(file), before);

    const deleted = await cli('delete', 'images.tar.gz');
    assert.equal(deleted.status, 0, deleted.stderr);
    assert.equal(deleted.stdout, 'deleted images.tar.gz\n');
    const gone = await cli('download', 'images', '-o', join(dir, 'gone.tar.gz'));
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, /\[SNAPSHOT_NOT_FOUND\]/);
    assert.equal(existsSync(join(dir, 'gone.tar.gz')), false);
  });

  test("the hub's refusals come back with their codes", async () => {
    const hostile = await cli('take', '../escape');
    assert.notEqual(hostile.status, 0);
    assert.match(hostile.stderr, /\[SNAPSHOT_BAD_NAME\]/);
    assert.equal(existsSync(join(dir, 'escape.tar.gz')), false);
    const badQuery = await cli('take', 'broken', '-q', 'http and');
    assert.match(badQuery.stderr, /\[QUERY_SYNTAX\]/);
    const unauthorized = await cliWithToken('wrong', 'list');
    assert.match(unauthorized.stderr, /\[HUB_UNAUTHORIZED\]/);
  });
});
