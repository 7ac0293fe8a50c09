import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EntryDraft } from '../dissect/entry.js';
import { NameHistory } from '../resolve/index.js';
import type { BindingSource } from '../resolve/types.js';
import { refreshNames } from '../resolve/entry-names.js';
import { openStoreDatabase, type StoreDatabase } from './database.js';
import { EntriesIndex, EntryBatch, type IndexRow } from './entries-index.js';
import { nameHistoryPath, safeNodeName } from './layout.js';
import { DEFAULT_RETENTION, usageReport, type RetentionSettings, type UsageReport } from './retention.js';
import { StreamCatalog } from './stream-catalog.js';
import { ingestCapture, type IngestOptions } from './stream-ingest.js';
import { recoverStreams } from './stream-recovery.js';

export const STORE_DATABASE_FILE = 'index.sqlite';

export interface StoreOpenOptions {
  dataDir: string;
  /** This node's name (default: the host name). */
  node?: string;
  retention?: Partial<RetentionSettings>;
  /** Delete streams no dissector claims (default: keep every stream). */
  dropUnclaimed?: boolean;
}

export interface IngestFileOptions {
  filter?: string;
  /**
   * Entries are committed once this many are pending, and at the end. The default, 1,
   * commits after every vector, as a live capture's feed needs (a later vector may never
   * come). Reading a file, larger transactions rewrite each index page once for many
   * entries: 50,000 entries in transactions of 100 wrote 809 MB to the WAL, of 1,000 230 MB.
   */
  commitEntries?: number;
  /** Called with every entry once it is stored (the live WebSocket feed). */
  onStored?(entries: readonly IndexRow[], ids: readonly number[]): void;
  onGraph?: IngestOptions['onGraph'];
}

/**
 * One node's store: the stream files and their catalog, the entries index and the name
 * history, in one data directory. Entries link to their stream by key, and retention removes
 * both together.
 */
export class Store {
  private constructor(
    readonly dataDir: string,
    readonly node: string,
    readonly db: StoreDatabase,
    readonly catalog: StreamCatalog,
    readonly entries: EntriesIndex,
    readonly names: NameHistory,
    readonly retention: RetentionSettings,
    readonly dropUnclaimed: boolean,
  ) {}

  /** Opens (creating if needed) the store and finishes whatever a killed process left half done. */
  static async open(opts: StoreOpenOptions): Promise<Store> {
    const node = safeNodeName(opts.node);
    const db = openStoreDatabase(join(opts.dataDir, STORE_DATABASE_FILE));
    const catalog = new StreamCatalog(db);
    const entries = new EntriesIndex(db);
    await recoverStreams(catalog, opts.dataDir, (keys) => entries.deleteByStreamKeys(keys));
    const names = NameHistory.open(nameHistoryPath(opts.dataDir, node), node);
    const retention = { ...DEFAULT_RETENTION, ...opts.retention };
    return new Store(opts.dataDir, node, db, catalog, entries, names, retention, opts.dropUnclaimed ?? false);
  }

  static exists(dataDir: string): boolean {
    return existsSync(join(dataDir, STORE_DATABASE_FILE));
  }

  /**
   * Reads a capture (file, stream or live reader) into the store: stream files, entries with
   * names, retention as it goes. The result counts the entries stored.
   */
  async ingestFile(source: IngestOptions['source'], opts: IngestFileOptions = {}) {
    const pending = new EntryBatch();
    // The entries themselves are held until their commit only for onStored (see EntryBatch).
    const stored: IndexRow[] = [];
    let entries = 0;
    const commit = (): void => {
      if (pending.length === 0) return;
      const ids = this.entries.insertBatch(pending);
      entries += ids.length;
      opts.onStored?.(stored, ids);
      stored.length = 0;
    };
    const commitEntries = opts.commitEntries ?? 1;
    const result = await ingestCapture({
      source,
      filter: opts.filter,
      store: {
        dataDir: this.dataDir,
        catalog: this.catalog,
        node: this.node,
        dropUnclaimed: this.dropUnclaimed,
        retention: {
          settings: this.retention,
          onStreamsRemoved: (keys) => {
            commit(); // pending entries of a removed stream go with it, not after it
            this.entries.deleteByStreamKeys(keys);
          },
        },
      },
      names: this.names,
      onEntry: (entry: EntryDraft, streamKey: string) => {
        const row = { entry, streamKey, node: this.node };
        pending.add(row);
        if (opts.onStored) stored.push(row);
      },
      afterVector: () => {
        if (pending.length >= commitEntries) commit();
      },
      onGraph: opts.onGraph,
    }).finally(commit);
    this.names.save();
    return { ...result, entries };
  }

  /**
   * Records the names the sources know, as true from `atUs` on: wall-clock time for live
   * traffic, 0 for names given with an old capture file (true for all its recorded time).
   */
  async learnNames(sources: readonly BindingSource[], atUs: number = Date.now() * 1000): Promise<void> {
    await refreshNames(this.names, sources, atUs);
  }

  usage(): UsageReport {
    return usageReport(this.catalog, this.retention);
  }

  close(): void {
    this.names.save();
    this.db.close();
  }
}
