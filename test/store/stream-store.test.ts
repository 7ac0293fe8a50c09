import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EntryDraft } from '../../src/dissect/entry.js';
import { CAPTURE_ERROR_CODES } from '../../src/pcap/index.js';
import { STREAM_STORE } from '../../src/pipeline/store-node.js';
import {
  checkStreamKey,
  dataPath,
  safeNodeName,
  streamKey,
  streamRelativePath,
} from '../../src/store/layout.js';
import { StreamFileHandles } from '../../src/store/stream-files.js';
import { ingestCapture } from '../../src/store/stream-ingest.js';
import { inspectStreamFile, repairStreamFile } from '../../src/store/stream-pcap.js';
import { entriesOf } from '../entries/run-entries.js';
import { corpusPcap } from '../helpers/corpus.js';
import { runTool } from '../helpers/tools.js';
import { openTestStore, readStreamRecords } from './support.js';

describe('layout', () => {
  test('stream files go under the UTC hour of their first packet', () => {
    // 1732646900.604738 s = 2024-11-26T18:48:20.604738Z (date -u -d @1732646900).
    assert.equal(streamRelativePath('n_r_7', 1732646900604738), 'streams/2024/11/26/18/n_r_7.pcap');
    // One µs before midnight UTC stays on the old day: 2024-01-01T00:00:00Z = 1704067200 s.
    assert.equal(streamRelativePath('k', 1704067200e6 - 1), 'streams/2023/12/31/23/k.pcap');
  });

  test('keys and node names are safe file names; paths cannot leave the data directory', () => {
    assert.equal(safeNodeName('ip-10-0-1-2.ec2.internal'), 'ip-10-0-1-2.ec2.internal');
    assert.equal(safeNodeName('../etc/pass wd'), 'etc_pass_wd');
    assert.equal(safeNodeName('x'.repeat(100)).length, 63);
    assert.equal(streamKey('n1', '20240101T000000Z-abcd', 42), 'n1_20240101T000000Z-abcd_42');
    assert.throws(() => checkStreamKey('../x'), { code: 'STORE_BAD_STREAM_KEY' });
    assert.throws(() => checkStreamKey('a/b'), { code: 'STORE_BAD_STREAM_KEY' });
    assert.throws(() => dataPath('/data', '../secret'), { code: 'STORE_PATH_OUTSIDE_DATA' });
    assert.throws(() => dataPath('/data', '/etc/passwd'), { code: 'STORE_PATH_OUTSIDE_DATA' });
    assert.equal(dataPath('/data', 'streams/a.pcap'), '/data/streams/a.pcap');
  });
});

describe('stream file handles', () => {
  test('at most maxOpen descriptors; a closed file is reopened in append mode', () => {
    const t = openTestStore();
    try {
      const handles = new StreamFileHandles(2);
      const paths = [0, 1, 2, 3, 4].map((i) => join(t.dir, 'h', String(i), 'f.bin'));
      const expected = paths.map(() => '');
      for (let round = 0; round < 3; round++) {
        paths.forEach((p, i) => {
          const text = `${round}:${i};`;
          const bytes = new TextEncoder().encode(text + 'junk');
          handles.write(p, bytes, text.length, expected[i].length);
          expected[i] += text;
          assert.ok(handles.openCount <= 2);
        });
      }
      handles.closeAll();
      assert.equal(handles.openCount, 0);
      paths.forEach((p, i) => assert.equal(readFileSync(p, 'utf8'), expected[i]));
    } finally {
      t.cleanup();
    }
  });
});

describe('torn records', () => {
  test('a torn last record is reported, then cut off; capinfos agrees on the count', async () => {
    const t = openTestStore();
    try {
      await ingestCapture({
        source: corpusPcap('tcpdump__dns_tcp.pcap'),
        store: { dataDir: t.dir, catalog: t.catalog, node: 'n' },
        onEntry: () => undefined,
      });
      const [row] = t.catalog.list();
      const path = dataPath(t.dir, row.filePath);
      // Half a record: a 16-byte header claiming 60 bytes, then only 10 of them.
      const header = Buffer.alloc(16);
      header.writeUInt32LE(60, 8);
      header.writeUInt32LE(60, 12);
      appendFileSync(path, Buffer.concat([header, Buffer.alloc(10)]));
      const torn = await inspectStreamFile(path);
      assert.equal(torn?.errorCode, CAPTURE_ERROR_CODES.PCAP_TRUNCATED_RECORD);
      assert.equal(torn?.records, row.packets);
      assert.equal(torn?.validBytes, row.fileBytes);
      const repaired = await repairStreamFile(path);
      assert.equal(repaired?.cutBytes, 26);
      assert.equal(statSync(path).size, row.fileBytes);
      // Wireshark's reader (capinfos) now reads the file to its end without complaint.
      const [, count] = runTool('capinfos', ['-c', '-T', '-r', path]).trim().split('\t');
      assert.equal(Number(count), row.packets);
    } finally {
      t.cleanup();
    }
  });

  test('a file without a whole header is removed by repair', async () => {
    const t = openTestStore();
    try {
      const path = join(t.dir, 'short.pcap');
      appendFileSync(path, Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0]));
      assert.equal(await repairStreamFile(path), null);
      assert.equal(existsSync(path), false);
    } finally {
      t.cleanup();
    }
  });
});

/** Entries without the fields that differ between runs (ids) for comparing pipelines. */
function comparable(entries: Array<Omit<EntryDraft, never>>): string[] {
  return entries.map((e) => JSON.stringify({ ...e, id: undefined })).sort();
}

describe('store graph', () => {
  for (const name of [
    'zeek__docker-http-upgrade.pcap',
    'packt-grpc__Bidi_Streaming.pcapng',
    'pcapplusplus__DnsPackets.pcap',
  ]) {
    test(`${name}: the store passes packets on unchanged (same entries as meshtap entries)`, async () => {
      const t = openTestStore();
      try {
        const got: Array<EntryDraft & { streamKey: string }> = [];
        const r = await ingestCapture({
          source: corpusPcap(name),
          store: { dataDir: t.dir, catalog: t.catalog, node: 'n' },
          onEntry: (entry, streamKey) => got.push({ ...entry, streamKey }),
        });
        assert.ok(r.graph.graph.hasNode(STREAM_STORE));
        const expected = await entriesOf(corpusPcap(name));
        assert.deepEqual(comparable(got.map(({ streamKey: _k, ...e }) => e)), comparable(expected));
        // Each entry's stream key names the catalog row of its stream, with the same endpoints.
        for (const e of got) {
          const row = t.catalog.get(e.streamKey);
          assert.ok(row, e.streamKey);
          assert.deepEqual(
            [row.clientIp, row.clientPort, row.serverIp, row.serverPort].sort(),
            [e.src.ip, e.src.port, e.dst.ip, e.dst.port].sort(),
          );
          assert.notEqual(row.protocol, null);
        }
      } finally {
        t.cleanup();
      }
    });
  }

  test('trace lines of stream-store name the stream', async () => {
    const t = openTestStore();
    try {
      const r = await ingestCapture({
        source: corpusPcap('tcpdump__dns_udp.pcap'),
        store: { dataDir: t.dir, catalog: t.catalog, node: 'n', runId: 'run1' },
        onEntry: () => undefined,
        onGraph: (g) => g.graph.tracer.add('pcap-input', 1),
      });
      const shown = r.graph.graph.tracer.show();
      assert.match(shown, /stream-store/);
      assert.match(shown, /record queued for stream n_run1_0/);
    } finally {
      t.cleanup();
    }
  });
});

describe('IP fragments', () => {
  test('a reassembled datagram is stored as the fragments captured; fragments let go are counted', async () => {
    // frag_http_req.pcap: one HTTP request in an IPv4 datagram cut into 11 fragments
    // (capinfos: 11 frames; tshark -2: frames 1-10 "reassembled in" 11, which is tcp.stream 0).
    const run = async (maxBytes: number) => {
      const t = openTestStore();
      try {
        const r = await ingestCapture({
          source: corpusPcap('pcapplusplus__frag_http_req.pcap'),
          store: { dataDir: t.dir, catalog: t.catalog, node: 'n', fragments: { maxBytes } },
          onEntry: () => undefined,
        });
        const [row] = t.catalog.list();
        return { packets: row?.packets ?? 0, skipped: r.store.stats.skipped.get('fragments_not_held') ?? 0 };
      } finally {
        t.cleanup();
      }
    };
    assert.deepEqual(await run(8 << 20), { packets: 11, skipped: 0 });
    // Room for no fragment: the datagram still completes in the flow layer, but its fragments
    // were let go, so the stream (whose only packet it is) gets no file.
    assert.deepEqual(await run(0), { packets: 0, skipped: 1 });
  });
});

describe('write failures', () => {
  test('a stream whose file cannot be written stops, its row closed and claiming nothing', async () => {
    const t = openTestStore();
    try {
      // The one stream of dns_udp.pcap starts at its first packet (capinfos -a); a directory stands
      // where its file would go, so opening the file fails (EISDIR, even for root).
      const epoch = runTool('capinfos', ['-a', '-S', '-T', '-r', corpusPcap('tcpdump__dns_udp.pcap')]).split(
        '\t',
      )[1];
      const [sec, frac] = epoch.trim().split('.');
      const firstUs = Number(sec) * 1e6 + Number(frac.slice(0, 6));
      mkdirSync(dataPath(t.dir, streamRelativePath('n_r_0', firstUs)), { recursive: true });
      const r = await ingestCapture({
        source: corpusPcap('tcpdump__dns_udp.pcap'),
        store: { dataDir: t.dir, catalog: t.catalog, node: 'n', runId: 'r' },
        onEntry: () => undefined,
      });
      assert.equal(r.store.stats.skipped.get('write_failed'), 2);
      const row = t.catalog.get('n_r_0');
      assert.equal(row?.packets, 0);
      assert.equal(row?.closed, true);
    } finally {
      t.cleanup();
    }
  });
});

describe('dropUnclaimed', () => {
  test('streams no dissector claims are deleted, file and row; claimed ones stay', async () => {
    const keep = openTestStore();
    const drop = openTestStore();
    try {
      const source = corpusPcap('pcapplusplus__sll.pcap');
      const run = (t: typeof keep, dropUnclaimed: boolean) =>
        ingestCapture({
          source,
          store: { dataDir: t.dir, catalog: t.catalog, node: 'n', runId: 'r', dropUnclaimed },
          onEntry: () => undefined,
        });
      await run(keep, false);
      const r = await run(drop, true);
      const all = keep.catalog.list();
      const claimed = all.filter((row) => row.protocol !== null).map((row) => row.streamKey);
      const kept = drop.catalog.list();
      assert.ok(claimed.length > 0 && claimed.length < all.length, `${claimed.length} of ${all.length}`);
      assert.deepEqual(kept.map((row) => row.streamKey).sort(), claimed.sort());
      assert.equal(r.store.stats.droppedUnclaimed, all.length - claimed.length);
      for (const row of all) {
        const path = dataPath(drop.dir, row.filePath);
        assert.equal(existsSync(path), claimed.includes(row.streamKey), row.filePath);
      }
      for (const row of kept)
        assert.equal(readStreamRecords(dataPath(drop.dir, row.filePath)).records.length, row.packets);
    } finally {
      keep.cleanup();
      drop.cleanup();
    }
  });
});
