import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirrorConfig, type MirrorConfigOptions } from '../../src/mirror/mirror-config.js';
import { openStoreDatabase, type StoreDatabase } from '../../src/store/database.js';
import { MeshtapError } from '../../src/util/errors.js';

export interface ConfigFixture {
  dir: string;
  db: StoreDatabase;
  config: MirrorConfig;
  /** Closes the database and opens it again, as a restarted hub would. */
  reopen(opts?: MirrorConfigOptions): MirrorConfig;
  close(): void;
}

/** A MirrorConfig on a fresh SQLite file; sources have no addresses unless `addressesOf` says so. */
export function openConfig(opts: MirrorConfigOptions = {}): ConfigFixture {
  const dir = mkdtempSync(join(tmpdir(), 'meshtap-mirror-'));
  const file = join(dir, 'hub.sqlite');
  const withDefaults = (o: MirrorConfigOptions) => ({ addressesOf: () => [], ...o });
  const fx: ConfigFixture = {
    dir,
    db: openStoreDatabase(file),
    config: undefined as unknown as MirrorConfig,
    reopen(next = opts) {
      fx.db.close();
      fx.db = openStoreDatabase(file);
      fx.config = new MirrorConfig(fx.db, withDefaults(next));
      return fx.config;
    },
    close() {
      fx.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  fx.config = new MirrorConfig(fx.db, withDefaults(opts));
  return fx;
}

/** Every stored row of the mirroring tables and the id sequences: the whole stored configuration. */
export function storedState(db: StoreDatabase): string {
  const tables = ['mirror_filters', 'mirror_rules', 'mirror_sessions', 'sqlite_sequence'];
  return JSON.stringify(tables.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
}

/**
 * Asserts that `call` fails with `code` (sync or async) and that nothing stored changed.
 * `what` names the case in the failure message.
 */
export async function assertRejected(
  db: StoreDatabase,
  call: () => unknown,
  code: string,
  what: string,
): Promise<void> {
  const before = storedState(db);
  await assert.rejects(
    async () => call(),
    (err: unknown) => {
      assert.ok(err instanceof MeshtapError, `${what}: not a MeshtapError: ${String(err)}`);
      assert.equal(err.code, code, `${what}: ${err.message}`);
      return true;
    },
    `${what}: expected ${code}`,
  );
  assert.equal(storedState(db), before, `${what}: the stored configuration changed`);
}
