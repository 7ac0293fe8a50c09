import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry, EntryDraft } from '../src/dissect/entry.js';
import { openStoreDatabase } from '../src/store/database.js';
import { EntriesIndex, type IndexRow } from '../src/store/entries-index.js';

/**
 * Issue 5's query benchmark: MESHTAP_BENCH_QUERY_ENTRIES synthetic entries (5,000,000 by
 * default) into a file-backed index, then the latency of a selective and a broad query.
 */
const BATCH = 10_000;
const START_US = Date.UTC(2026, 10, 21, 10) * 1000;
const RARE_SERVICE = 'ledger-audit.billing';

const SERVICES = Array.from({ length: 60 }, (_, i) => `svc-${i}.ns-${i % 6}`);
const PATHS = Array.from({ length: 500 }, (_, i) => `/api/v1/resource-${i}`);
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = [200, 200, 200, 200, 200, 201, 204, 304, 404, 500];

/** Entry i of the synthetic store: fields cycle with co-prime strides, so their mix is even. */
function syntheticEntry(i: number): EntryDraft {
  const roll = (i * 7) % 20;
  const rare = i % 100_000 === 77; // one http call to a rare service, answered 500, per 100,000
  const protocol =
    rare || roll < 10 ? 'http' : roll < 13 ? 'http2' : roll < 16 ? 'grpc' : roll < 19 ? 'dns' : 'diameter';
  const client = SERVICES[(i * 11) % SERVICES.length]!;
  const server = rare ? RARE_SERVICE : SERVICES[(i * 13) % SERVICES.length]!;
  const status = rare ? 500 : STATUSES[(i * 17) % STATUSES.length]!;
  const path = PATHS[(i * 31) % PATHS.length]!;
  const headers = [
    { name: 'host', value: server },
    { name: 'user-agent', value: 'bench/1.0' },
    { name: 'x-request-id', value: (i * 2654435761).toString(16) },
  ];
  const isDns = protocol === 'dns' || protocol === 'diameter';
  return {
    protocol,
    transport: protocol === 'dns' ? 'udp' : 'tcp',
    streamId: Math.floor(i / 8),
    index: i % 8,
    src: {
      ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
      port: 30000 + (i % 30000),
      name: client,
      namespace: client.split('.')[1],
    },
    dst: { ip: '10.96.0.10', port: isDns ? 53 : 8080, name: server, namespace: server.split('.')[1] },
    timestampUs: START_US + i * 1000,
    elapsedUs: (i * 7919) % 50_000,
    request: isDns ? { id: i & 0xffff } : { method: METHODS[i % METHODS.length], path, headers },
    response: isDns
      ? { rcode: 0 }
      : { status, headers: [{ name: 'content-type', value: 'application/json' }] },
    requestSize: 200 + (i % 300),
    responseSize: 100 + (i % 900),
    flags: [],
  };
}

function time<T>(run: () => T): { value: T; ms: number } {
  const started = process.hrtime.bigint();
  const value = run();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

function fill(index: EntriesIndex, total: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i += BATCH) {
    const rows: IndexRow[] = [];
    for (let j = i; j < Math.min(total, i + BATCH); j++) {
      rows.push({
        entry: syntheticEntry(j) as Entry,
        streamKey: `s${Math.floor(j / 8)}`,
        node: 'node-a',
      });
    }
    index.insertMany(rows);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function benchQuery(ctx: { outDir: string }): Promise<void> {
  const total = Number(process.env.MESHTAP_BENCH_QUERY_ENTRIES ?? 5_000_000);
  const file = join(ctx.outDir, 'query-index.sqlite');
  mkdirSync(ctx.outDir, { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const db = openStoreDatabase(file);
  const index = new EntriesIndex(db);
  const seconds = fill(index, total);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = statSync(file).size;
  console.log(`\n## query (${total.toLocaleString('en')} entries)`);
  console.log(
    `ingest: ${seconds.toFixed(1)} s, ${Math.round(total / seconds).toLocaleString('en')} entries/s, ` +
      `${(bytes / 1e6 / seconds).toFixed(1)} MB/s of index (${(bytes / 1e9).toFixed(2)} GB)`,
  );
  const selective = `dst.name == "${RARE_SERVICE}" and response.status == 500`;
  const broad = 'http and response.status >= 200';
  // Headers are not indexed: SQL narrows to ten seconds (10,000 rows), the predicate does the rest.
  const residual = `timestamp >= ${START_US} and timestamp < ${START_US} + seconds(10) and request.headers["x-request-id"] == r"^ff"`;
  const cases: [string, () => string][] = [
    [`${selective} (limit 100)`, () => `${index.query(selective, { limit: 100 }).entries.length} entries`],
    [`count(${selective})`, () => `${index.count(selective)}`],
    [`${broad} (limit 100)`, () => `${index.query(broad, { limit: 100 }).entries.length} entries`],
    [`count(${broad})`, () => `${index.count(broad)}`],
    [`${residual} (limit 100)`, () => `${index.query(residual, { limit: 100 }).entries.length} entries`],
  ];
  console.log('| query | result | ms |');
  console.log('|---|---|---|');
  for (const [label, run] of cases) {
    const { value, ms } = time(run);
    console.log(`| ${label} | ${value} | ${ms.toFixed(1)} |`);
  }
  db.close();
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  await benchQuery({ outDir: join(root, 'bench', 'out') });
}
