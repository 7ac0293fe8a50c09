// The entries index API over the hand-written sample entries of test/query/samples.ts, and the
// store database helpers (pragmas, per-module migrations) on a temporary file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, openStoreDatabase, StoreError } from '../../src/store/database.js';
import { EntriesIndex, type StoredEntry } from '../../src/store/entries-index.js';
import { UsageError } from '../../src/util/errors.js';
import { HTTP_GET, SAMPLES, T0 } from '../query/samples.js';

/** The samples, inserted twice (as two nodes), ids 1..16; stream keys name protocol and copy. */
function filledIndex() {
  const db = openStoreDatabase(':memory:');
  const index = new EntriesIndex(db);
  const rows = [0, 1].flatMap((copy) =>
    SAMPLES.map((entry) => ({ entry, streamKey: `${entry.protocol}-${copy}`, node: `node-${copy}` })),
  );
  const ids = index.insertMany(rows);
  return { db, index, ids };
}

const sampleIds = (entries: StoredEntry[]) => entries.map((e) => Number(e.id));

describe('EntriesIndex', () => {
  test('insertMany gives increasing ids; get returns the entry with its id, stream and node', () => {
    const { index, ids } = filledIndex();
    assert.deepEqual(
      ids,
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
    const got = index.get(3);
    const { id: _id, ...http2 } = SAMPLES[2]!;
    assert.deepEqual(got, { ...http2, id: '3', streamKey: 'http2-0', node: 'node-0' });
    assert.equal(index.get(99), undefined);
    assert.equal(index.count(), 16);
  });

  test('the entry JSON is stored as UTF-8 TEXT, in batches larger than the encoding chunks', () => {
    const db = openStoreDatabase(':memory:');
    const index = new EntriesIndex(db);
    const { id: _id, ...get } = HTTP_GET;
    // 'é€😀' is C3 A9, E2 82 AC, F0 9F 98 80 in UTF-8 (RFC 3629). 600 bodies of ~6 KB of JSON
    // fill several of the 1 MiB chunks, and a 400,000-character body is larger than one.
    const body = (n: number) => ({ ...get.response, body: `é€😀${'x'.repeat(n)}` });
    const entries = [
      ...Array.from({ length: 600 }, (_, i) => ({ ...get, index: i, response: body(6000) })),
      { ...get, index: 600, response: body(400_000) },
    ];
    const ids = index.insertMany(entries.map((entry) => ({ entry, streamKey: 's', node: 'n' })));
    const stored = db
      .prepare(
        "SELECT typeof(json) AS type, count(*) AS n FROM entries WHERE instr(CAST(json AS BLOB), X'C3A9E282ACF09F9880') > 0 GROUP BY 1",
      )
      .all();
    assert.deepEqual(stored, [{ type: 'text', n: 601 }]);
    for (const [i, id] of ids.entries())
      assert.deepEqual(index.get(id), { ...entries[i], id: String(id), streamKey: 's', node: 'n' });
  });

  test('columns are copies of the documented fields, NULL when missing', () => {
    const { db } = filledIndex();
    const rows = db
      .prepare(
        'SELECT ts_us, protocol, transport, src_name, dst_port, method, path, status FROM entries WHERE id <= 8',
      )
      .all();
    assert.deepEqual(rows[0], {
      ts_us: T0 + 1_000_000,
      protocol: 'http',
      transport: 'tcp',
      src_name: 'front-end.sock-shop',
      dst_port: 80,
      method: 'GET',
      path: '/catalogue?size=5',
      status: 200,
    });
    assert.equal((rows[1] as { src_name: unknown }).src_name, null); // the POST has no client name
    assert.equal((rows[4] as { status: unknown }).status, null); // gRPC call without a response
    assert.equal((rows[5] as { method: unknown }).method, null); // Diameter has no request.method
  });

  // Order by timestamp, then id. Copy 0 has ids 1-8, copy 1 ids 9-16 with the same times:
  // h1-get 1 s (1, 9), grpc-5 5 s (4, 12), grpc-none 6 s (5, 13), dia-ccr 10 s (6, 14),
  // dns-aaaa 20 s (7, 15), dns-nx 21 s (8, 16), h1-post 30 s (2, 10), h2-404 90 s (3, 11).
  test('query pages newest first through the cursor, and in ascending order', () => {
    const { index } = filledIndex();
    const first = index.query('tcp', { limit: 5 });
    assert.deepEqual(sampleIds(first.entries), [11, 3, 10, 2, 14]);
    assert.equal(first.nextCursor, `${T0 + 10_000_000}:14`);
    const second = index.query('tcp', { limit: 5, cursor: first.nextCursor });
    assert.deepEqual(sampleIds(second.entries), [6, 13, 5, 12, 4]);
    const third = index.query('tcp', { limit: 5, cursor: second.nextCursor });
    assert.deepEqual(sampleIds(third.entries), [9, 1]);
    assert.equal(third.nextCursor, null);
    assert.deepEqual(sampleIds(index.query('dns', { order: 'asc' }).entries), [7, 15, 8, 16]);
  });

  test('entries without a timestamp come first ascending, last descending, and page through', () => {
    const db = openStoreDatabase(':memory:');
    const index = new EntriesIndex(db);
    const timeless = { ...SAMPLES[0]!, timestampUs: undefined as never };
    index.insertMany(
      [SAMPLES[0]!, timeless, SAMPLES[1]!, timeless, SAMPLES[2]!].map((entry) => ({
        entry,
        streamKey: 's',
        node: 'n',
      })),
    );
    for (const [order, expected] of [
      ['asc', [2, 4, 1, 3, 5]],
      ['desc', [5, 3, 1, 4, 2]],
    ] as const) {
      const seen: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10 && (page === 0 || cursor !== null); page++) {
        const result = index.query('', { limit: 1, order, cursor });
        seen.push(...sampleIds(result.entries));
        cursor = result.nextCursor;
      }
      assert.deepEqual(seen, expected, order);
    }
  });

  test('limit(n) in the query lowers the page size', () => {
    const { index } = filledIndex();
    assert.deepEqual(sampleIds(index.query('http and limit(2)', { limit: 10 }).entries), [10, 2]);
    assert.deepEqual(sampleIds(index.query('http and limit(20)', { limit: 3 }).entries), [10, 2, 9]);
  });

  test('since is inclusive, until exclusive (µs)', () => {
    const { index } = filledIndex();
    const range = { since: T0 + 5_000_000, until: T0 + 20_000_000, order: 'asc' as const };
    // grpc-5 (T0+5 s), grpc-none (+6 s), dia-ccr (+10 s); dns-aaaa at +20 s is out.
    assert.deepEqual(sampleIds(index.query('', range).entries), [4, 12, 5, 13, 6, 14]);
    assert.equal(index.count('grpc', range), 4);
  });

  test('a predicate that SQL cannot answer still filters every row', () => {
    const { index } = filledIndex();
    const page = index.query('request.headers["x-forwarded-for"] == "198.51.100.7"');
    assert.deepEqual(sampleIds(page.entries), [9, 1]);
    assert.equal(page.scanned, 16);
    assert.equal(index.count('len(flags) > 0'), 4);
  });

  test('scanLimit stops early with a cursor to continue from', () => {
    const { index } = filledIndex();
    const page = index.query('dns', { scanLimit: 3, order: 'asc' });
    assert.deepEqual(sampleIds(page.entries), [7, 15, 8]); // SQL returns only the dns rows
    assert.equal(page.scanned, 3);
    assert.equal(page.nextCursor, `${T0 + 21_000_000}:8`);
    const residual = index.query('request.questions.name == "missing.example.org"', {
      scanLimit: 4,
      order: 'asc',
    });
    assert.deepEqual(residual.entries, []);
    assert.equal(residual.nextCursor, `${T0 + 5_000_000}:12`); // examined 1, 9, 4, 12
    const rest = index.query('request.questions.name == "missing.example.org"', {
      order: 'asc',
      cursor: residual.nextCursor,
    });
    assert.deepEqual(sampleIds(rest.entries), [8, 16]);
  });

  test('count, stream keys and deletion by stream', () => {
    const { index } = filledIndex();
    assert.equal(index.count('http'), 4);
    assert.equal(index.count('http and limit(1)'), 4);
    assert.deepEqual(index.streamKeysMatching('grpc or response.rcode == 3'), [
      'dns-0',
      'dns-1',
      'grpc-0',
      'grpc-1',
    ]);
    assert.deepEqual(index.streamKeysMatching('dns', { since: T0 + 21_000_000 }), ['dns-0', 'dns-1']);
    assert.deepEqual(index.streamKeysMatching('streamKey == "http-1"'), ['http-1']);
    assert.equal(index.deleteByStreamKeys(['http-0', 'dns-1', 'nothing']), 4);
    assert.equal(index.count(), 12);
    assert.equal(index.count('http'), 2);
    const many = Array.from({ length: 1234 }, (_, i) => `k${i}`).concat('grpc-0');
    assert.equal(index.deleteByStreamKeys(many), 2);
  });

  test('ids are never reused, even after the newest rows are deleted', () => {
    const { index } = filledIndex();
    index.deleteByStreamKeys(['dns-1']);
    const [next] = index.insertMany([{ entry: SAMPLES[0]!, streamKey: 'again', node: 'n' }]);
    assert.equal(next, 17);
  });

  test('the node and stream key are query fields', () => {
    const { index } = filledIndex();
    assert.equal(index.count('node == "node-1" and http'), 2);
    assert.equal(index.count('startsWith(streamKey, "dia")'), 2);
  });

  test('planner statistics are seeded, then refreshed from the rows once the table has grown', () => {
    const db = openStoreDatabase(':memory:');
    const index = new EntriesIndex(db, { analyzeMinRows: 10 });
    const stat = () =>
      (
        db.prepare("SELECT stat FROM sqlite_stat1 WHERE idx = 'entries_protocol_ts'").get() as {
          stat: string;
        }
      ).stat;
    assert.equal(stat(), '1000000 200000 1');
    index.insertMany(SAMPLES.map((entry) => ({ entry, streamKey: 's', node: 'n' })));
    assert.equal(stat(), '1000000 200000 1'); // 8 rows: not yet
    index.insertMany(SAMPLES.map((entry) => ({ entry, streamKey: 's', node: 'n' })));
    assert.equal(stat().split(' ')[0], '16'); // 16 rows, 5 protocols
  });

  test('selective queries use the indexes', () => {
    const { db } = filledIndex();
    const plan = (where: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM entries WHERE ${where}`).all() as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
    assert.match(plan("dst_name = 'x' AND status = 500"), /entries_(dst_name|protocol_status)/);
    // Broad counts are answered from the index alone; a lone status term skip-scans the protocols.
    assert.match(plan("protocol = 'http' AND status >= 200"), /COVERING INDEX entries_protocol_status/);
    assert.match(plan('status = 500'), /entries_protocol_status \(ANY\(protocol\) AND status=\?\)/);
    assert.match(plan("stream_key = 'x'"), /entries_stream_key/);
    assert.match(plan('ts_us >= 5 AND ts_us < 10'), /entries_ts/);
  });

  test('bad options and cursors are usage errors', () => {
    const { index } = filledIndex();
    for (const bad of [
      { cursor: 'abc' },
      { cursor: '5' },
      { cursor: 'x:5' },
      { limit: 0 },
      { scanLimit: -1 },
      { limit: 1.5 },
    ]) {
      assert.throws(
        () => index.query('', bad),
        (e: unknown) => e instanceof UsageError && /^STORE_BAD_/.test(e.code),
      );
    }
    assert.throws(() => index.query('http and'), { code: 'QUERY_SYNTAX' });
    assert.throws(
      () => index.insertMany([{ entry: SAMPLES[0]!, streamKey: 5 as never, node: 'n' }]),
      (e: unknown) => e instanceof UsageError && e.code === 'STORE_BAD_ROW',
    );
    assert.equal(index.count(), 16); // the failed batch left nothing behind
  });
});

/** Runs `body` with a fresh temporary directory, removed afterwards. */
function inTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'meshtap-db-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tooNew = (e: unknown) => e instanceof StoreError && e.code === 'STORE_TOO_NEW';

describe('store database', () => {
  test('a file database uses WAL, synchronous=NORMAL and a busy timeout', () =>
    inTempDir((dir) => {
      const db = openStoreDatabase(join(dir, 'sub', 'store.sqlite'));
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('synchronous', { simple: true }), 1);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      assert.equal(db.pragma('user_version', { simple: true }), 1);
      db.close();
    }));

  test('a new file database has 16 KiB pages; one made with 4 KiB pages keeps them and takes entries', () =>
    inTempDir((dir) => {
      const fresh = openStoreDatabase(join(dir, 'new.sqlite'));
      assert.equal(fresh.pragma('page_size', { simple: true }), 16384);
      fresh.close();
      // A store as earlier versions made it: SQLite's default page size, in WAL mode.
      const file = join(dir, 'old.sqlite');
      const old = new Database(file);
      old.pragma('page_size = 4096');
      old.pragma('journal_mode = WAL');
      old.exec('CREATE TABLE earlier (x INTEGER)');
      old.close();
      const db = openStoreDatabase(file);
      assert.equal(db.pragma('page_size', { simple: true }), 4096);
      const index = new EntriesIndex(db);
      index.insertMany(SAMPLES.map((entry) => ({ entry, streamKey: 's', node: 'n' })));
      assert.equal(index.count(), SAMPLES.length);
      db.close();
    }));

  test('modules migrate independently and only once; entries survive reopening', () =>
    inTempDir((dir) => {
      const file = join(dir, 'store.sqlite');
      let db = openStoreDatabase(file);
      new EntriesIndex(db).insertMany([{ entry: SAMPLES[0]!, streamKey: 's', node: 'n' }]);
      let runs = 0;
      const other = [() => runs++, () => runs++];
      migrate(db, 'other', other.slice(0, 1));
      db.close();
      db = openStoreDatabase(file);
      assert.equal(new EntriesIndex(db).count(), 1);
      migrate(db, 'other', other); // only the appended step runs
      assert.equal(runs, 2);
      const versions = db.prepare('SELECT module, version FROM meshtap_schema ORDER BY module').all();
      assert.deepEqual(versions, [
        { module: 'entries', version: 2 },
        { module: 'other', version: 2 },
      ]);
      assert.throws(() => migrate(db, 'other', other.slice(0, 1)), tooNew);
      db.close();
    }));

  test('a version 1 entries table trades its status index for (protocol, status), analyzed, counts unchanged', () =>
    inTempDir((dir) => {
      const file = join(dir, 'store.sqlite');
      let db = openStoreDatabase(file);
      const rows = SAMPLES.map((entry) => ({ entry, streamKey: 's', node: 'n' }));
      const first = new EntriesIndex(db);
      first.insertMany(rows);
      const queries = ['http and response.status >= 200', 'response.status == 404', 'http2'];
      const before = queries.map((q) => first.count(q));
      // Back to what version 1 left: its status index, seeded statistics, version 1.
      db.exec(`
        DROP INDEX entries_protocol_status;
        CREATE INDEX entries_status ON entries (status) WHERE status IS NOT NULL;
        INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('entries', 'entries_status', '1000000 100000');
        UPDATE meshtap_schema SET version = 1 WHERE module = 'entries';
      `);
      db.close();
      db = openStoreDatabase(file);
      const index = new EntriesIndex(db);
      const indexes = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'entries_%status'")
        .all();
      assert.deepEqual(indexes, [{ name: 'entries_protocol_status' }]);
      const stats = db.prepare("SELECT idx, stat FROM sqlite_stat1 WHERE idx LIKE 'entries_%status'").all();
      // Analyzed from the rows: entries with a status, then rows per protocol and per (protocol, status).
      const withStatus = SAMPLES.filter(
        (e) => typeof (e.response as { status?: unknown } | null)?.status === 'number',
      ).length;
      assert.equal(stats.length, 1);
      assert.equal((stats[0] as { stat: string }).stat.split(' ')[0], String(withStatus));
      assert.deepEqual(
        queries.map((q) => index.count(q)),
        before,
      );
      db.close();
    }));

  test('a store from a newer meshtap or an unreadable path is refused with a code', () =>
    inTempDir((dir) => {
      const file = join(dir, 'store.sqlite');
      const raw = new Database(file);
      raw.pragma('user_version = 99');
      raw.close();
      assert.throws(() => openStoreDatabase(file), tooNew);
      assert.throws(
        () => openStoreDatabase(join(file, 'x', 'y.sqlite')),
        (e: unknown) => e instanceof StoreError && e.code === 'STORE_OPEN',
      );
    }));
});
