import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataPath } from '../../src/store/layout.js';
import { applyRetention, usageReport } from '../../src/store/retention.js';
import type { StreamRow } from '../../src/store/stream-catalog.js';
import { ingestCapture } from '../../src/store/stream-ingest.js';
import { recoverStreams } from '../../src/store/stream-recovery.js';
import { corpusPcap } from '../helpers/corpus.js';
import { openTestStore, type TestStore } from './support.js';

/** Captures from 2006, 2008, 2014 and 2024: streams of clearly different ages. */
const SOURCES = [
  'pcapplusplus__four_ipv6_http_streams.pcap',
  'pcapplusplus__ip4_fragments.pcap',
  'pcapplusplus__DnsPackets.pcap',
  'zeek__docker-http-upgrade.pcap',
];

let template: TestStore;

before(async () => {
  template = openTestStore('meshtap-retention-');
  for (const name of SOURCES) {
    await ingestCapture({
      source: corpusPcap(name),
      store: { dataDir: template.dir, catalog: template.catalog, node: 'n' },
      onEntry: () => undefined,
    });
  }
  template.db.close(); // checkpoints the WAL, so the directory can be copied
});

after(() => rmSync(template.dir, { recursive: true, force: true }));

/** A copy of the store filled from SOURCES, for one test to change. */
async function filledStore(): Promise<TestStore> {
  return openTestStore('meshtap-retention-', template.dir);
}

const sizeOf = (t: TestStore, rows: StreamRow[]): number =>
  rows.reduce((n, r) => n + statSync(dataPath(t.dir, r.filePath)).size, 0);

/** Rows oldest (last packet) first, the order retention must remove them in. */
const oldestFirst = (rows: StreamRow[]): StreamRow[] =>
  [...rows].sort((a, b) => a.lastTsUs - b.lastTsUs || a.streamKey.localeCompare(b.streamKey));

describe('retention', () => {
  test('by size: the oldest streams go, files and rows together, until the total fits', async () => {
    const t = await filledStore();
    try {
      const before = oldestFirst(t.catalog.list());
      const sizes = before.map((row) => statSize(t, row));
      const total = sizes.reduce((a, b) => a + b, 0);
      assert.equal(t.catalog.usage().fileBytes, total);
      const limit = Math.floor(total / 2);
      let notified: string[] = [];
      const r = applyRetention({
        catalog: t.catalog,
        dataDir: t.dir,
        // No age limit here: the captures are years apart and the default keeps 7 days.
        settings: { maxTotalBytes: limit, maxAgeUs: Number.MAX_SAFE_INTEGER },
        onStreamsRemoved: (keys) => (notified = notified.concat(keys)),
      });
      // The fewest oldest streams whose removal brings the total under the limit.
      let expectedCount = 0;
      for (let left = total; left > limit; expectedCount++) left -= sizes[expectedCount];
      const expected = before.slice(0, expectedCount).map((row) => row.streamKey);
      assert.deepEqual(r.removed, expected);
      assert.deepEqual(notified, expected);
      const after = t.catalog.list();
      assert.deepEqual(
        after.map((row) => row.streamKey).sort(),
        before
          .slice(expectedCount)
          .map((row) => row.streamKey)
          .sort(),
      );
      assert.ok(sizeOf(t, after) <= limit);
      assert.equal(r.usage.fileBytes, sizeOf(t, after));
      for (const row of before.slice(0, expectedCount))
        assert.equal(existsSync(dataPath(t.dir, row.filePath)), false);
      // The 2006 capture's streams all went, and with them their empty directories.
      assert.equal(existsSync(join(t.dir, 'streams', '2006')), false);
      assert.deepEqual(readdirSync(join(t.dir, 'streams')).sort(), ['2014', '2024']);
    } finally {
      t.cleanup();
    }
  });

  test('by age: streams whose last packet is older than the limit go (age counted back from the newest)', async () => {
    const t = await filledStore();
    try {
      const before = t.catalog.list();
      const newest = Math.max(...before.map((r) => r.lastTsUs));
      const maxAgeUs = 5 * 365 * 24 * 3600e6; // keeps 2024 only (the 2014 capture is 10 years older)
      const r = applyRetention({ catalog: t.catalog, dataDir: t.dir, settings: { maxAgeUs } });
      const expected = before.filter((row) => row.lastTsUs < newest - maxAgeUs).map((row) => row.streamKey);
      assert.deepEqual([...r.removed].sort(), expected.sort());
      assert.ok(t.catalog.list().every((row) => row.firstTsUs >= Date.UTC(2024, 0, 1) * 1000));
      // Against the wall clock (2024 is more than a week ago from any real now) nothing stays.
      const clock = applyRetention({
        catalog: t.catalog,
        dataDir: t.dir,
        settings: { ageReference: 'clock', maxAgeUs: 7 * 24 * 3600e6 },
      });
      assert.ok(clock.removed.length > 0);
      assert.equal(t.catalog.list().length, 0);
    } finally {
      t.cleanup();
    }
  });

  test('open streams are never removed; the report says the store is over its limit', async () => {
    const t = await filledStore();
    try {
      const [oldest] = oldestFirst(t.catalog.list());
      t.catalog.upsert({ ...oldest, closed: false });
      const r = applyRetention({ catalog: t.catalog, dataDir: t.dir, settings: { maxTotalBytes: 1 } });
      assert.deepEqual(
        t.catalog.list().map((row) => row.streamKey),
        [oldest.streamKey],
      );
      assert.equal(r.overLimit, true);
      const report = usageReport(t.catalog, { maxTotalBytes: 1 });
      assert.equal(report.streams, 1);
      assert.equal(report.openStreams, 1);
      assert.equal(report.fileBytes, statSize(t, oldest));
      assert.equal(report.oldestUs, oldest.firstTsUs);
      assert.equal(report.newestUs, oldest.lastTsUs);
      assert.ok(report.fill > 1);
    } finally {
      t.cleanup();
    }
  });

  test('the store applies retention itself and stays under its limit', async () => {
    const t = openTestStore('meshtap-retention-');
    try {
      const limit = 150_000;
      const removed: string[] = [];
      for (const name of SOURCES) {
        await ingestCapture({
          source: corpusPcap(name),
          store: {
            dataDir: t.dir,
            catalog: t.catalog,
            node: 'n',
            retention: {
              settings: { maxTotalBytes: limit, maxAgeUs: Number.MAX_SAFE_INTEGER },
              everyBytes: 32 << 10,
              onStreamsRemoved: (k) => removed.push(...k),
            },
          },
          onEntry: () => undefined,
        });
        assert.ok(t.catalog.usage().fileBytes <= limit);
      }
      assert.ok(removed.length > 0);
      assert.ok(sizeOf(t, t.catalog.list()) <= limit);
      for (const key of removed) assert.equal(t.catalog.get(key), undefined);
    } finally {
      t.cleanup();
    }
  });

  test('a removal cut short is finished by recovery', async () => {
    const t = await filledStore();
    try {
      const all = t.catalog.list();
      const victims = oldestFirst(all).slice(0, 3);
      t.catalog.markRemoving(victims.map((r) => r.streamKey));
      // As if the process died here: rows marked, files still there. Marked rows are no longer listed.
      assert.equal(t.catalog.list().length, all.length - 3);
      assert.ok(victims.every((row) => existsSync(dataPath(t.dir, row.filePath))));
      const heard: string[] = [];
      const result = await recoverStreams(t.catalog, t.dir, (keys) => heard.push(...keys));
      assert.deepEqual(
        result.removed,
        victims.map((r) => r.streamKey),
      );
      assert.deepEqual(heard, result.removed);
      for (const row of victims) {
        assert.equal(t.catalog.get(row.streamKey), undefined);
        assert.equal(existsSync(dataPath(t.dir, row.filePath)), false);
      }
    } finally {
      t.cleanup();
    }
  });
});

function statSize(t: TestStore, row: StreamRow): number {
  return statSync(dataPath(t.dir, row.filePath)).size;
}
