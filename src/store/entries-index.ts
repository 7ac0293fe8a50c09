import type { Statement } from 'better-sqlite3';
import type { Entry, EntryDraft } from '../dissect/entry.js';
import { compileQuery, INDEXED_COLUMNS, sqlRegexp, type CompiledQuery } from '../query/index.js';
import { UsageError } from '../util/errors.js';
import { migrate, type Migration, type StoreDatabase } from './database.js';
import { Utf8Arena } from './utf8-arena.js';

/** What the index returns: the entry, its id (the row id, as text) and where its packets are. */
export type StoredEntry = Entry & { streamKey: string; node: string };

export interface IndexRow {
  /** Any `id`, `streamKey` or `node` it carries is ignored: the index assigns and records those. */
  entry: Entry | EntryDraft;
  /** The store's identifier of the stream whose pcap holds the exchange. */
  streamKey: string;
  node: string;
}

export interface EntriesIndexOptions {
  /** Statistics are refreshed when the table has doubled, at the earliest after this many rows (50,000). */
  analyzeMinRows?: number;
}

export interface TimeRange {
  /** µs since the epoch, inclusive. */
  since?: number;
  /** µs since the epoch, exclusive. */
  until?: number;
}

export interface EntryQueryOptions extends TimeRange {
  /** At most this many entries (default 100); `limit(n)` in the query can lower it. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
  /** By timestamp, then id: `desc` (newest first, the default) or `asc`. */
  order?: 'asc' | 'desc';
  /** Stop after examining this many rows (the page may then be short; `nextCursor` continues). */
  scanLimit?: number;
}

export interface EntryPage {
  entries: StoredEntry[];
  /** Where the next page starts, or null when no row is left to examine. */
  nextCursor: string | null;
  /** Rows the SQL returned and the predicate examined. */
  scanned: number;
}

const ENTRY_COLUMNS = INDEXED_COLUMNS.filter((c) => c.column !== 'stream_key' && c.column !== 'node');

/** Columns are copies of entry fields made by the query's own getters (src/query/columns.ts). */
const MIGRATIONS: readonly Migration[] = [
  (db) => {
    const columns = ENTRY_COLUMNS.map((c) => `${c.column} ${c.kind === 'number' ? 'INTEGER' : 'TEXT'}`);
    db.exec(`
      CREATE TABLE entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ${columns.join(',\n        ')},
        stream_key TEXT NOT NULL,
        node TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX entries_ts ON entries (ts_us);
      CREATE INDEX entries_protocol_ts ON entries (protocol, ts_us);
      CREATE INDEX entries_src_name ON entries (src_name) WHERE src_name IS NOT NULL;
      CREATE INDEX entries_dst_name ON entries (dst_name) WHERE dst_name IS NOT NULL;
      CREATE INDEX entries_method ON entries (method) WHERE method IS NOT NULL;
      CREATE INDEX entries_path ON entries (path) WHERE path IS NOT NULL;
      CREATE INDEX entries_status ON entries (status) WHERE status IS NOT NULL;
      CREATE INDEX entries_stream_key ON entries (stream_key);
    `);
  },
  // A broad count such as `http and response.status >= 200` read every matching row through
  // (protocol, ts_us): 123 s at 5M entries. With protocol and status in one index it is counted
  // in the index alone; a lone status term skip-scans the index's few protocols.
  (db) => {
    db.exec(`
      DROP INDEX entries_status;
      CREATE INDEX entries_protocol_status ON entries (protocol, status) WHERE status IS NOT NULL;
    `);
    planStatistics(db);
  },
];

/**
 * Until the first ANALYZE of real rows, the planner would take every equality as selective
 * (`status = 500` as much as `dst_name = 'x'`) and may read a large share of the table. These
 * figures (rows, rows per value) describe a typical store: few protocols, methods and
 * statuses, many names and paths, a handful of entries per stream.
 */
const SEED_STATISTICS: [string, string][] = [
  ['entries_ts', '1000000 1'],
  ['entries_protocol_ts', '1000000 200000 1'],
  ['entries_src_name', '1000000 5000'],
  ['entries_dst_name', '1000000 5000'],
  ['entries_method', '1000000 200000'],
  ['entries_path', '1000000 2000'],
  ['entries_protocol_status', '1000000 200000 20000'],
  ['entries_stream_key', '1000000 10'],
];

/**
 * Seeds the statistics of an empty table. In a store that already has entries only the new
 * index is analyzed (one pass over it): the other indexes keep the figures they had.
 */
function planStatistics(db: StoreDatabase): void {
  if (db.prepare('SELECT 1 FROM entries LIMIT 1').get() !== undefined) {
    db.exec('ANALYZE entries_protocol_status');
    return;
  }
  db.exec('ANALYZE entries'); // creates sqlite_stat1
  db.prepare("DELETE FROM sqlite_stat1 WHERE tbl = 'entries'").run();
  const insert = db.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('entries', ?, ?)");
  for (const [index, stat] of SEED_STATISTICS) insert.run(index, stat);
  db.exec('ANALYZE sqlite_schema'); // reloads the statistics
}

/**
 * Real statistics replace the seeded ones each time the table doubles, from 50,000 rows up to
 * 1,000,000 (a full ANALYZE reads every index, about a second at the top; a sampled one, with
 * analysis_limit, reads only the first index entries and misjudges low-cardinality columns).
 * Past that size the distribution is known well enough.
 */
const ANALYZE_MIN_ROWS = 50_000;
const ANALYZE_MAX_ROWS = 1_000_000;

const DEFAULT_LIMIT = 100;
const DELETE_CHUNK = 500;
const STATEMENT_CACHE = 64;

interface Row {
  id: number;
  ts_us: number | null;
  stream_key: string;
  node: string;
  json: string;
}

function serialize(entry: Entry | EntryDraft): string {
  // The id and the store fields live in columns; the JSON keeps what the dissector said. A
  // dissector's draft has none of them and is written as it is, without a copy.
  if (!('id' in entry) && !('streamKey' in entry) && !('node' in entry)) return JSON.stringify(entry);
  const { id: _id, streamKey: _key, node: _node, ...rest } = entry as Partial<StoredEntry>;
  return JSON.stringify(rest);
}

/** One entry as the insert statement takes it: indexed columns, stream key, node, JSON as UTF-8. */
type InsertValues = (string | number | null | Buffer)[];

/**
 * Entries waiting for one transaction, each laid out for the insert as it is added, so that
 * the entry's objects can be collected at once instead of living (and being copied by the
 * garbage collector) until the commit; their JSON waits as UTF-8 outside the JS heap. An
 * ingest commits 2,000 entries of ~4 KB of JSON at a time: for 300,000 packets (105,793
 * entries), entries held until then cost 24 old-space collections and 1.2-2 s of scavenges,
 * entries laid out at once 11 and 0.8 s.
 */
export class EntryBatch {
  private readonly values: InsertValues[] = [];
  private readonly json = new Utf8Arena();

  get length(): number {
    return this.values.length;
  }

  add({ entry, streamKey, node }: IndexRow): void {
    if (typeof streamKey !== 'string' || typeof node !== 'string') {
      throw new UsageError('STORE_BAD_ROW', 'streamKey and node must be strings');
    }
    const values: InsertValues = ENTRY_COLUMNS.map((c) => c.read(entry));
    values.push(streamKey, node, this.json.add(serialize(entry)));
    this.values.push(values);
  }

  /** Hands the rows to the insert (once): the batch is empty again afterwards. */
  take<T>(insert: (rows: readonly InsertValues[]) => T): T {
    try {
      return insert(this.values);
    } finally {
      this.values.length = 0;
      this.json.reset();
    }
  }
}

function revive(row: Row): StoredEntry {
  const entry = JSON.parse(row.json) as StoredEntry;
  entry.id = String(row.id);
  entry.streamKey = row.stream_key;
  entry.node = row.node;
  return entry;
}

/** Where a page ended: the last row's timestamp (null for the rare row without one) and id. */
interface Cursor {
  ts: number | null;
  id: number;
}

function parseCursor(cursor: string | null | undefined): Cursor | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  const m = /^([^:]*):(\d{1,16})$/.exec(cursor);
  const ts = m?.[1] === '' ? null : Number(m?.[1]);
  if (!m || (ts !== null && !Number.isFinite(ts))) {
    throw new UsageError('STORE_BAD_CURSOR', `not a cursor of this index: ${cursor}`);
  }
  return { ts, id: Number(m[2]) };
}

function formatCursor(row: Row): string {
  return `${row.ts_us ?? ''}:${row.id}`;
}

function positiveInteger(
  value: number | undefined,
  fallback: number | undefined,
  what: string,
): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new UsageError('STORE_BAD_OPTION', `${what} must be ≥ 1`);
  return value;
}

interface Pass {
  sql: string;
  params: (string | number)[];
}

interface Selection {
  where: string;
  params: (string | number)[];
  query: CompiledQuery;
}

/**
 * The entries of one store in SQLite: indexed columns for the fields queries filter on most,
 * and the whole entry as JSON. Queries run their SQL push-down, then the compiled predicate
 * on each row as it streams out of SQLite (memory stays bounded whatever matches).
 */
export class EntriesIndex {
  private readonly insert: Statement;
  private readonly insertRows: (rows: readonly InsertValues[]) => number[];
  private readonly statements = new Map<string, Statement>();

  private rowsAtLastAnalyze: number;
  private rowsSinceAnalyze = 0;

  private readonly analyzeMinRows: number;

  constructor(
    private readonly db: StoreDatabase,
    options: EntriesIndexOptions = {},
  ) {
    this.analyzeMinRows = options.analyzeMinRows ?? ANALYZE_MIN_ROWS;
    migrate(db, 'entries', MIGRATIONS);
    const { last } = db.prepare('SELECT max(id) AS last FROM entries').get() as { last: number | null };
    this.rowsAtLastAnalyze = last ?? 0;
    db.function('meshtap_regexp', { deterministic: true }, sqlRegexp);
    const names = [...ENTRY_COLUMNS.map((c) => c.column), 'stream_key', 'node'];
    // The JSON comes as UTF-8 bytes (EntryBatch); the cast stores them as the TEXT they are.
    this.insert = db.prepare(
      `INSERT INTO entries (${names.join(', ')}, json) VALUES (${names.map(() => '?').join(', ')}, CAST(? AS TEXT))`,
    );
    this.insertRows = db.transaction((rows: readonly InsertValues[]) =>
      rows.map((values) => Number(this.insert.run(values).lastInsertRowid)),
    );
  }

  /** Inserts in one transaction; returns the ids given, in order. */
  insertMany(rows: readonly IndexRow[]): number[] {
    const batch = new EntryBatch();
    for (const row of rows) batch.add(row);
    return this.insertBatch(batch);
  }

  /** Inserts the batch's entries in one transaction and empties it; returns the ids given, in order. */
  insertBatch(batch: EntryBatch): number[] {
    const rows = batch.length;
    const ids = batch.take(this.insertRows);
    this.rowsSinceAnalyze += rows;
    const total = this.rowsAtLastAnalyze + this.rowsSinceAnalyze;
    if (
      total <= ANALYZE_MAX_ROWS &&
      this.rowsSinceAnalyze >= Math.max(this.analyzeMinRows, this.rowsAtLastAnalyze)
    ) {
      this.db.exec('ANALYZE entries');
      this.rowsAtLastAnalyze = total;
      this.rowsSinceAnalyze = 0;
    }
    return ids;
  }

  get(id: number): StoredEntry | undefined {
    const row = this.statement('SELECT id, ts_us, stream_key, node, json FROM entries WHERE id = ?').get(
      id,
    ) as Row | undefined;
    return row && revive(row);
  }

  /**
   * Entries matching the query (text or a CompiledQuery), one page at a time, newest first
   * by default: ordered by timestamp, then id. Rows stream out of SQLite and stop at the limit.
   */
  query(query: string | CompiledQuery, options: EntryQueryOptions = {}): EntryPage {
    const compiled = typeof query === 'string' ? compileQuery(query) : query;
    const wanted = positiveInteger(options.limit, DEFAULT_LIMIT, 'limit')!;
    const limit = Math.min(wanted, compiled.limit ?? Infinity);
    const scanLimit = positiveInteger(options.scanLimit, undefined, 'scanLimit') ?? Infinity;
    const entries: StoredEntry[] = [];
    let scanned = 0;
    let last: Row | undefined;
    for (const pass of this.passes(compiled, options, parseCursor(options.cursor), options.order !== 'asc')) {
      // With an exact push-down SQLite can stop by itself; the predicate still runs (it is cheap).
      const [sql, params] = compiled.pushdown.exact
        ? [`${pass.sql} LIMIT ?`, [...pass.params, limit - entries.length]]
        : [pass.sql, pass.params];
      for (const row of this.statement(sql).iterate(...params) as IterableIterator<Row>) {
        scanned++;
        last = row;
        const entry = revive(row);
        if (compiled.predicate(entry)) entries.push(entry);
        if (entries.length >= limit || scanned >= scanLimit) break;
      }
      if (entries.length >= limit || scanned >= scanLimit) {
        return { entries, nextCursor: last ? formatCursor(last) : null, scanned };
      }
    }
    return { entries, nextCursor: null, scanned };
  }

  /**
   * The ordered SQL reads of one page. SQLite sorts NULL first, and a row-value range on
   * (ts_us, id) follows the time indexes only over non-NULL timestamps, so the few rows
   * without a timestamp are read in a pass of their own: first when ascending, last when not.
   */
  private passes(
    compiled: CompiledQuery,
    range: TimeRange,
    cursor: Cursor | undefined,
    desc: boolean,
  ): Pass[] {
    const { where, params } = this.selection(compiled, range);
    const dir = desc ? 'DESC' : 'ASC';
    const after = desc ? '<' : '>';
    const columns = 'SELECT id, ts_us, stream_key, node, json FROM entries';
    const timed: Pass =
      cursor?.ts === undefined || cursor.ts === null
        ? { sql: `${columns} WHERE ${where} AND ts_us IS NOT NULL ORDER BY ts_us ${dir}, id ${dir}`, params }
        : {
            sql: `${columns} WHERE ${where} AND (ts_us, id) ${after} (?, ?) ORDER BY ts_us ${dir}, id ${dir}`,
            params: [...params, cursor.ts, cursor.id],
          };
    const untimed: Pass =
      cursor?.ts === null
        ? {
            sql: `${columns} WHERE ${where} AND ts_us IS NULL AND id ${after} ? ORDER BY id ${dir}`,
            params: [...params, cursor.id],
          }
        : { sql: `${columns} WHERE ${where} AND ts_us IS NULL ORDER BY id ${dir}`, params };
    if (range.since !== undefined || range.until !== undefined) return [timed];
    if (cursor === undefined) return desc ? [timed, untimed] : [untimed, timed];
    if (cursor.ts === null) return desc ? [untimed] : [untimed, timed];
    return desc ? [timed, untimed] : [timed];
  }

  /** How many entries match (all of them without a query); `limit(n)` does not cap it. */
  count(query: string | CompiledQuery = '', range: TimeRange = {}): number {
    const { where, params, query: compiled } = this.selection(query, range);
    if (compiled.pushdown.exact) {
      return (
        this.statement(`SELECT count(*) AS n FROM entries WHERE ${where}`).get(...params) as { n: number }
      ).n;
    }
    let n = 0;
    const rows = this.statement(
      `SELECT id, ts_us, stream_key, node, json FROM entries WHERE ${where}`,
    ).iterate(...params);
    for (const row of rows as IterableIterator<Row>) if (compiled.predicate(revive(row))) n++;
    return n;
  }

  /** The stream keys having at least one matching entry (sorted): what export and snapshots copy. */
  streamKeysMatching(query: string | CompiledQuery, range: TimeRange = {}): string[] {
    const { where, params, query: compiled } = this.selection(query, range);
    if (compiled.pushdown.exact) {
      const rows = this.statement(`SELECT DISTINCT stream_key FROM entries WHERE ${where}`).all(...params);
      return (rows as { stream_key: string }[]).map((r) => r.stream_key).sort();
    }
    const keys = new Set<string>();
    const rows = this.statement(
      `SELECT id, ts_us, stream_key, node, json FROM entries WHERE ${where}`,
    ).iterate(...params);
    for (const row of rows as IterableIterator<Row>) {
      // A stream already in the set needs no more parsing.
      if (!keys.has(row.stream_key) && compiled.predicate(revive(row))) keys.add(row.stream_key);
    }
    return [...keys].sort();
  }

  /** Removes the entries of these streams (retention removes streams and entries together). */
  deleteByStreamKeys(keys: readonly string[]): number {
    const run = this.db.transaction(() => {
      let deleted = 0;
      for (let i = 0; i < keys.length; i += DELETE_CHUNK) {
        const chunk = keys.slice(i, i + DELETE_CHUNK);
        const marks = chunk.map(() => '?').join(', ');
        deleted += this.db
          .prepare(`DELETE FROM entries WHERE stream_key IN (${marks})`)
          .run(...chunk).changes;
      }
      return deleted;
    });
    return run();
  }

  private selection(query: string | CompiledQuery, range: TimeRange): Selection {
    const compiled = typeof query === 'string' ? compileQuery(query) : query;
    const clauses: string[] = [];
    const params: (string | number)[] = [];
    if (compiled.pushdown.where !== null) {
      clauses.push(`(${compiled.pushdown.where})`);
      params.push(...compiled.pushdown.params);
    }
    if (range.since !== undefined) {
      clauses.push('ts_us >= ?');
      params.push(range.since);
    }
    if (range.until !== undefined) {
      clauses.push('ts_us < ?');
      params.push(range.until);
    }
    return { where: clauses.length > 0 ? clauses.join(' AND ') : '1', params, query: compiled };
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
