import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { mergeCaptures } from '../export/merge-captures.js';
import { openCapture, type CaptureReader } from '../pcap/index.js';
import type { StoredEntry } from '../store/entries-index.js';
import { dataPath } from '../store/layout.js';
import type { Store } from '../store/store.js';
import { openSnapshot } from './snapshot.js';

const PAGE = 1000;

/**
 * `meshtap read|entries SNAPSHOT`: opens the snapshot into a temporary directory (checked as
 * `snapshot open` checks it), runs `use` on its store and removes the directory again.
 */
export async function withOpenedSnapshot<T>(file: string, use: (store: Store) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'meshtap-snapshot-'));
  try {
    const { store } = await openSnapshot(file, join(dir, 'store'));
    try {
      return await use(store);
    } finally {
      store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The stored entries in time order, a page at a time (memory stays bounded whatever the count). */
export function* storedEntries(store: Store): Generator<StoredEntry[]> {
  let cursor: string | null = null;
  do {
    const page = store.entries.query('', { order: 'asc', limit: PAGE, cursor });
    if (page.entries.length > 0) yield page.entries;
    cursor = page.nextCursor;
  } while (cursor !== null);
}

/**
 * Every packet of the store's streams, merged in time order, as a capture reader. The merge
 * writes into a pipe the reader reads, so nothing is written to disk. `close` ends the merge
 * too when the reader was left early (`read -c`): the pipe is destroyed and the merge's
 * pending write is abandoned (its files are closed when the process exits).
 */
export async function storedPackets(
  store: Store,
): Promise<{ reader: CaptureReader; close(): Promise<void> }> {
  const paths = store.catalog
    .list()
    .filter((row) => row.packets > 0)
    .map((row) => dataPath(store.dataDir, row.filePath));
  const pipe = new PassThrough();
  let merging = true;
  // The merge leaves a stream it was given open (it may be stdout): the pipe is ended here.
  const done = mergeCaptures(paths, pipe, { format: 'pcap' }).then(
    () => pipe.end(),
    (err: Error) => pipe.destroy(err),
  );
  void done.finally(() => (merging = false));
  const reader = await openCapture(pipe);
  return {
    reader,
    async close() {
      await reader.close();
      if (merging) pipe.destroy();
      else await done;
    },
  };
}
