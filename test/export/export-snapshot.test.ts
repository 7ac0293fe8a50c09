import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { exportMatchingStreams } from '../../src/export/export-streams.js';
import { createSnapshot, openSnapshot } from '../../src/snapshot/snapshot.js';
import { InventoryResolver } from '../../src/resolve/index.js';
import { Store } from '../../src/store/store.js';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool, tsharkFrameRows } from '../helpers/tools.js';
import { meshtap } from '../helpers/cli.js';
import { dataPath } from '../../src/store/layout.js';

const SOURCE = corpusPcap('pcapplusplus__four_ipv6_http_streams.pcap');

describe('export and snapshots over a store', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshtap-export-test-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      [
        '"2001:618:1:8000::5": { name: www.sixxs, namespace: web }',
        '"2001:618:400::/48": { name: client, namespace: lab }',
        '',
      ].join('\n'),
    );
    store = await Store.open({ dataDir: join(dir, 'data'), node: 'node-a' });
    await store.learnNames([InventoryResolver.fromFile(inventory)], 0);
    const result = await store.ingestFile(SOURCE);
    assert.equal(result.error, null);
  });
  after(() => {
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('export writes exactly the packets of the streams with a matching entry, in time order (tshark)', async () => {
    const query = 'http and dst.name == "www.sixxs" and request.path == r"^/images/"';
    // The reference: tshark finds the TCP streams with such a request and lists their frames.
    const streams = runTool('tshark', [
      '-r',
      SOURCE,
      '-Y',
      'http.request.uri matches "^/images/" && ipv6.dst == 2001:618:1:8000::5',
      '-T',
      'fields',
      '-e',
      'tcp.stream',
    ])
      .split('\n')
      .filter((l) => l !== '');
    const ids = [...new Set(streams)];
    assert.ok(ids.length >= 2, `reference streams: ${ids.join(',')}`);
    const expected = tsharkFrameRows(SOURCE, `tcp.stream in {${ids.join(', ')}}`);

    const out = join(dir, 'export.pcapng');
    const r = await exportMatchingStreams(store, query, out, { format: 'pcapng' });
    assert.equal(r.streams, ids.length);
    assert.deepEqual(tsharkFrameRows(out), expected);

    const synOnly = join(dir, 'syn.pcap');
    await exportMatchingStreams(store, query, synOnly, { format: 'pcap', filter: 'ip6[53] & 0x02 != 0' });
    assert.deepEqual(
      tsharkFrameRows(synOnly),
      tsharkFrameRows(SOURCE, `tcp.stream in {${ids.join(', ')}} && tcp.flags.syn == 1`),
    );
  });

  test('a snapshot opens into a store with the same entries and names', async () => {
    const archive = join(dir, 'snap.tar.gz');
    const manifest = await createSnapshot(store, 'http', archive);
    assert.equal(manifest.node, 'node-a');
    const listed = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' });
    assert.match(listed, /^manifest\.json$/m);
    assert.match(listed, /name_resolution_history\.json$/m);

    const { store: opened } = await openSnapshot(archive, join(dir, 'opened'));
    try {
      const strip = (es: Array<Record<string, unknown>>) => es.map(({ id: _id, ...rest }) => rest);
      const original = store.entries.query('http', { limit: 1000 }).entries;
      const reopened = opened.entries.query('http', { limit: 1000 }).entries;
      assert.equal(reopened.length, manifest.entries);
      assert.deepEqual(strip(reopened as never), strip(original as never));
      assert.ok(original.some((e) => e.dst.name === 'www.sixxs' && e.src.namespace === 'lab'));
      assert.deepEqual(opened.names.toDocument(), store.names.toDocument());
      // The stream files came along: exporting from the opened store gives the same packets.
      const a = join(dir, 'a.pcap');
      const b = join(dir, 'b.pcap');
      await exportMatchingStreams(store, 'http', a, { format: 'pcap' });
      await exportMatchingStreams(opened, 'http', b, { format: 'pcap' });
      assert.deepEqual(tsharkFrameRows(b), tsharkFrameRows(a));
    } finally {
      opened.close();
    }
    await assert.rejects(openSnapshot(archive, join(dir, 'opened')), { code: 'SNAPSHOT_TARGET_EXISTS' });
  });

  test('meshtap read and entries take a snapshot file like a capture', async () => {
    const archive = join(dir, 'all.tar.gz');
    await createSnapshot(store, '', archive);
    // entries: the stored entries (named as when captured), in time order.
    const run = meshtap(['entries', archive, '--format', 'jsonl']);
    assert.equal(run.status, 0, run.stderr);
    const printed = run.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const stored = store.entries.query('', { limit: 10_000, order: 'asc' }).entries;
    const strip = (e: Record<string, unknown>) => {
      const { id: _id, ...rest } = e;
      return rest;
    };
    assert.equal(printed.length, stored.length);
    assert.deepEqual(
      printed.map(strip),
      stored.map((e) => strip(e as never)),
    );
    assert.ok(printed.some((e) => (e.dst as { name?: string }).name === 'www.sixxs'));
    // read: every stream's packets merged in time order, as mergecap merges the stream files.
    const out = join(dir, 'snapshot-read.pcap');
    const read = meshtap(['read', archive, '-w', out]);
    assert.equal(read.status, 0, read.stderr);
    const merged = join(dir, 'mergecap.pcap');
    const files = store.catalog.list().map((r) => dataPath(store.dataDir, r.filePath));
    runTool('mergecap', ['-F', 'pcap', '-w', merged, ...files]);
    assert.deepEqual(tsharkFrameRows(out), tsharkFrameRows(merged));
    // -c stops early and still ends cleanly.
    const few = meshtap(['read', archive, '-c', '3']);
    assert.equal(few.status, 0, few.stderr);
    assert.equal(few.stdout.split('\n').filter((l) => l !== '').length, 3);
  });

  test('an archive that is not a meshtap snapshot is refused', async () => {
    const plain = join(dir, 'plain.tar.gz');
    writeFileSync(join(dir, 'hello.txt'), 'hi');
    execFileSync('tar', ['-czf', plain, 'hello.txt'], { cwd: dir });
    await assert.rejects(openSnapshot(plain, join(dir, 'plain-out')), { code: 'SNAPSHOT_CORRUPT' });
  });
});
