import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { TimeRange, IndexRow, StoredEntry } from '../store/entries-index.js';
import { dataPath, nameHistoryPath } from '../store/layout.js';
import type { StreamRow } from '../store/stream-catalog.js';
import { Store } from '../store/store.js';
import { MeshtapError } from '../util/errors.js';
import { extractArchive, writeArchive, type ArchiveLimits, type ArchiveMember } from './archive.js';

/** What a snapshot says about itself (manifest.json). */
export interface SnapshotManifest {
  format: 'meshtap-snapshot';
  version: 1;
  createdAt: string;
  query: string;
  since: number | null;
  until: number | null;
  node: string;
  streams: number;
  entries: number;
}

const MANIFEST = 'manifest.json';
const ENTRIES = 'entries.jsonl';
const STREAMS = 'streams.jsonl';
const PAGE = 1000;

/**
 * `meshtap snapshot create`: the matching streams' pcaps, their catalog rows, the matching
 * entries and the node's name history, in one .tar.gz laid out like a data directory, so
 * opening it rebuilds a store with the same entries and names.
 */
export async function createSnapshot(
  store: Store,
  query: string,
  outPath: string,
  range: TimeRange = {},
): Promise<SnapshotManifest> {
  const keys = store.entries.streamKeysMatching(query, range);
  const streams = store.catalog.getMany(keys);
  const scratch = await mkdtemp(join(dirname(outPath), '.meshtap-snapshot-'));
  try {
    const entriesFile = join(scratch, ENTRIES);
    const entries = await writeMatchingEntries(store, query, range, entriesFile);
    store.names.save();
    const manifest: SnapshotManifest = {
      format: 'meshtap-snapshot',
      version: 1,
      createdAt: new Date().toISOString(),
      query,
      since: range.since ?? null,
      until: range.until ?? null,
      node: store.node,
      streams: streams.length,
      entries,
    };
    const historyName = relative(store.dataDir, nameHistoryPath(store.dataDir, store.node))
      .split('\\')
      .join('/');
    const members: ArchiveMember[] = [
      { name: MANIFEST, data: `${JSON.stringify(manifest, null, 2)}\n` },
      { name: ENTRIES, path: entriesFile },
      {
        name: STREAMS,
        data: streams.map((s) => JSON.stringify(s)).join('\n') + (streams.length ? '\n' : ''),
      },
      { name: historyName, data: `${JSON.stringify(store.names.toDocument())}\n` },
      ...streams.map((s) => ({ name: s.filePath, path: dataPath(store.dataDir, s.filePath) })),
    ];
    await writeArchive(outPath, members);
    return manifest;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Pages through the matching entries oldest first into a JSON-lines file; returns how many. */
async function writeMatchingEntries(
  store: Store,
  query: string,
  range: TimeRange,
  path: string,
): Promise<number> {
  const out = createWriteStream(path);
  let count = 0;
  let cursor: string | null = null;
  do {
    const page = store.entries.query(query, { ...range, limit: PAGE, cursor, order: 'asc' });
    for (const e of page.entries) {
      if (!out.write(`${JSON.stringify(e)}\n`)) await once(out, 'drain');
      count++;
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  out.end();
  await once(out, 'finish');
  return count;
}

/**
 * `meshtap snapshot open`: checks the archive (no traversal, links or absurd sizes), unpacks
 * it into `dataDir` and rebuilds the store there: catalog rows, entries and names.
 */
export async function openSnapshot(
  file: string,
  dataDir: string,
  limits?: ArchiveLimits,
): Promise<{ store: Store; manifest: SnapshotManifest }> {
  if (Store.exists(dataDir)) {
    throw new MeshtapError(
      'SNAPSHOT_TARGET_EXISTS',
      `${dataDir} already holds a store; open the snapshot into a new directory`,
    );
  }
  await extractArchive(file, dataDir, limits);
  const manifest = parseManifest(await readFile(join(dataDir, MANIFEST), 'utf8').catch(() => ''));
  const store = await Store.open({ dataDir, node: manifest.node });
  try {
    const rows: StreamRow[] = [];
    await eachLine(join(dataDir, STREAMS), (line) => rows.push(JSON.parse(line) as StreamRow));
    store.catalog.upsertMany(rows);
    let batch: IndexRow[] = [];
    await eachLine(join(dataDir, ENTRIES), (line) => {
      const e = JSON.parse(line) as StoredEntry;
      batch.push({ entry: e, streamKey: e.streamKey, node: e.node });
      if (batch.length >= PAGE) {
        store.entries.insertMany(batch);
        batch = [];
      }
    });
    store.entries.insertMany(batch);
  } catch (err) {
    store.close();
    throw err instanceof MeshtapError
      ? err
      : new MeshtapError('SNAPSHOT_CORRUPT', `${file}: ${(err as Error).message}`);
  }
  return { store, manifest };
}

function parseManifest(text: string): SnapshotManifest {
  let m: Partial<SnapshotManifest>;
  try {
    m = JSON.parse(text) as Partial<SnapshotManifest>;
  } catch {
    throw new MeshtapError(
      'SNAPSHOT_CORRUPT',
      'the archive has no readable manifest.json: not a meshtap snapshot',
    );
  }
  if (m.format !== 'meshtap-snapshot' || m.version !== 1 || typeof m.node !== 'string') {
    throw new MeshtapError('SNAPSHOT_CORRUPT', 'manifest.json is not that of a meshtap snapshot (version 1)');
  }
  return m as SnapshotManifest;
}

async function eachLine(path: string, onLine: (line: string) => void): Promise<void> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') onLine(line);
}
