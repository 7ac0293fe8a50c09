import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MeshtapError } from '../util/errors.js';

export type StoreDatabase = Database.Database;

/** A store database that cannot be opened, or was written by a newer meshtap. */
export class StoreError extends MeshtapError {
  constructor(code: 'STORE_OPEN' | 'STORE_TOO_NEW', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'StoreError';
  }
}

/** `PRAGMA user_version` of a meshtap store: the version of the bookkeeping table below. */
const STORE_FORMAT = 1;

const PAGE_SIZE = 16384;

/**
 * Opens (creating if needed) the SQLite file of a store, or `':memory:'`. WAL lets readers
 * (queries, export) run while the ingest writes; synchronous=NORMAL in WAL mode loses at most
 * the last transactions on power loss, never consistency; busy_timeout makes a second process
 * wait for the write lock instead of failing at once.
 */
export function openStoreDatabase(path: string): StoreDatabase {
  let db: StoreDatabase;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw new StoreError('STORE_OPEN', `cannot open store database ${path}: ${(err as Error).message}`, {
      path,
    });
  }
  // 16 KiB pages, set before WAL mode and the first table (a store that exists keeps its
  // own; SQLite cannot change it in WAL mode). An entry's JSON is ~4 KB with headers and
  // bodies, so 4 KiB pages put most rows on overflow pages, and every page is one write to the
  // WAL and one more at the checkpoint: `meshtap ingest` of 100,000 packets (35,201 entries)
  // made 151,180 pwrite and 39,923 pread calls with 4 KiB pages, 52,853 and 9,562 with 16 KiB.
  db.pragma(`page_size = ${PAGE_SIZE}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // 64 MiB of page cache, per connection. An insert touches the interior pages of the table
  // and its 8 indexes, the last leaf of every indexed value, and the pages its transaction
  // dirties (~16 MB per 10,000 entries); what does not fit is read again, and dirty pages
  // spill to the WAL mid-transaction and are written twice. Measured at 4.9M entries in
  // 10,000-entry transactions: 2 MiB (the default) makes 7x the page reads and 2.6x the
  // writes; 16 MiB 2.5x the writes (it still sufficed at 3.4M); 32 and 64 MiB are equal. The
  // interior pages grow with the table (5 MB at 4.75M entries), so 64 leaves room for more.
  // No mmap: inserts read nothing more with it, and mapped pages would count in the RSS.
  db.pragma('cache_size = -65536');
  db.pragma('journal_size_limit = 67108864'); // truncate the WAL back to 64 MiB after checkpoints
  initBookkeeping(db, path);
  return db;
}

function initBookkeeping(db: StoreDatabase, path: string): void {
  const format = db.pragma('user_version', { simple: true }) as number;
  if (format > STORE_FORMAT) {
    db.close();
    throw new StoreError('STORE_TOO_NEW', `${path} was written by a newer meshtap (store format ${format})`, {
      path,
      format,
    });
  }
  if (format === STORE_FORMAT) return;
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS meshtap_schema (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    db.pragma(`user_version = ${STORE_FORMAT}`);
  }).immediate();
}

/** One schema change of a table module; steps are never edited once released, only appended. */
export type Migration = (db: StoreDatabase) => void;

/**
 * Brings a table module (`entries`, `streams`, ...) up to date: each module keeps its own
 * version in `meshtap_schema`, so modules sharing one file migrate independently. Runs the
 * missing steps in one immediate transaction (a second process waits, then finds them done).
 */
export function migrate(db: StoreDatabase, module: string, steps: readonly Migration[]): void {
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM meshtap_schema WHERE module = ?').get(module) as
      { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > steps.length) {
      throw new StoreError('STORE_TOO_NEW', `the ${module} tables were written by a newer meshtap`, {
        module,
        version: current,
      });
    }
    for (let v = current; v < steps.length; v++) steps[v]!(db);
    db.prepare(
      'INSERT INTO meshtap_schema (module, version) VALUES (?, ?) ON CONFLICT (module) DO UPDATE SET version = excluded.version',
    ).run(module, steps.length);
  }).immediate();
}
