import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry, EntryDraft } from '../src/dissect/entry.js';
import { openStoreDatabase, type StoreDatabase } from '../src/store/database.js';
import { EntriesIndex, type IndexRow } from '../src/store/entries-index.js';

/**
 * Issue 5's query benchmark: MESHTAP_BENCH_QUERY_ENTRIES synthetic entries (5,000,000 by
 * default) into a file-backed index, with the insert rate along the way, then the latency
 * of a selective, a broad and a residual query, and the process's memory.
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

/** The insert rate is printed every this many entries (1,000,000 in the full run), so a slowdown shows. */
function reportEvery(total: number): number {
  return Math.min(1_000_000, Math.max(BATCH, Math.floor(total / 5 / BATCH) * BATCH));
}

function rowsOf(from: number, to: number): IndexRow[] {
  const rows: IndexRow[] = [];
  for (let j = from; j < to; j++) {
    rows.push({ entry: syntheticEntry(j) as Entry, streamKey: `s${Math.floor(j / 8)}`, node: 'node-a' });
  }
  return rows;
}

interface Mark {
  wall: bigint;
  cpu: NodeJS.CpuUsage;
}

function mark(): Mark {
  return { wall: process.hrtime.bigint(), cpu: process.cpuUsage() };
}

/** Wall and CPU seconds since `from`; CPU time is the steadier figure on a shared machine. */
function since(from: Mark): { wall: number; cpu: number } {
  const cpu = process.cpuUsage(from.cpu);
  return { wall: Number(process.hrtime.bigint() - from.wall) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** Wall and CPU milliseconds of one run. */
function time<T>(run: () => T): { value: T; ms: number; cpuMs: number } {
  const started = mark();
  const value = run();
  const { wall, cpu } = since(started);
  return { value, ms: wall * 1000, cpuMs: cpu * 1000 };
}

/** Fills the index, printing the rate of each step; returns the wall seconds of the whole fill. */
function fill(index: EntriesIndex, total: number, file: string): number {
  const step = reportEvery(total);
  console.log('| entries | entries/s | entries per CPU s | MB/s of index | file GB |');
  console.log('|---|---|---|---|---|');
  const start = mark();
  let stepStart = start;
  let bytes = 0;
  for (let i = 0; i < total; i += BATCH) {
    const end = Math.min(total, i + BATCH);
    index.insertMany(rowsOf(i, end));
    if (end % step !== 0 && end !== total) continue;
    const { wall, cpu } = since(stepStart);
    const size = statSync(file).size; // checkpointed pages: the WAL is checkpointed after every batch
    const n = end % step === 0 ? step : end % step;
    console.log(
      `| ${end.toLocaleString('en')} | ${Math.round(n / wall).toLocaleString('en')} | ` +
        `${Math.round(n / cpu).toLocaleString('en')} | ${((size - bytes) / 1e6 / wall).toFixed(1)} | ${(size / 1e9).toFixed(2)} |`,
    );
    bytes = size;
    stepStart = mark();
  }
  return since(start).wall;
}

function settings(db: StoreDatabase): string {
  const names = ['page_size', 'cache_size', 'mmap_size', 'journal_mode', 'synchronous', 'wal_autocheckpoint'];
  return names.map((name) => `${name}=${String(db.pragma(name, { simple: true }))}`).join(' ');
}

export async function benchQuery(ctx: { outDir: string }): Promise<void> {
  const total = Number(process.env.MESHTAP_BENCH_QUERY_ENTRIES ?? 5_000_000);
  const file = join(ctx.outDir, 'query-index.sqlite');
  mkdirSync(ctx.outDir, { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const db = openStoreDatabase(file);
  const index = new EntriesIndex(db);
  console.log(`\n## query (${total.toLocaleString('en')} entries)`);
  console.log(`store settings: ${settings(db)}`);
  const seconds = fill(index, total, file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = statSync(file).size;
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
  // The first run reads from disk what the OS no longer caches; the second shows a warm cache.
  console.log('| query | result | ms (first) | CPU ms (first) | ms (again) | CPU ms (again) |');
  console.log('|---|---|---|---|---|---|');
  for (const [label, run] of cases) {
    const first = time(run);
    const again = time(run);
    const figures = [first.ms, first.cpuMs, again.ms, again.cpuMs].map((ms) => ms.toFixed(1));
    console.log(`| ${label} | ${first.value} | ${figures.join(' | ')} |`);
  }
  const rssMb = (process.memoryUsage().rss / 1e6).toFixed(0);
  const peakMb = ((process.resourceUsage().maxRSS * 1024) / 1e6).toFixed(0); // maxRSS is in KiB
  console.log(`RSS at the end: ${rssMb} MB (peak ${peakMb} MB)`);
  db.close();
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  await benchQuery({ outDir: join(root, 'bench', 'out') });
}
