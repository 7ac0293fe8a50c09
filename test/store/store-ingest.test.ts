import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IndexRow } from '../../src/store/entries-index.js';
import { Store, type StoreOpenOptions } from '../../src/store/store.js';
import { corpusPcap } from '../helpers/corpus.js';

/** 464 packets: two read vectors of DNS queries and answers, one UDP stream each. */
const SOURCE = corpusPcap('pcapplusplus__DnsPackets.pcap');

interface Ingested {
  /** Entries per onStored call, in order. */
  commits: number[];
  /** Stored entries as flow id, time and protocol (stream keys differ between runs by their run id). */
  entries: string[];
  /** Entries whose stream is no longer in the catalog. */
  orphans: number;
}

async function ingest(
  options: Omit<StoreOpenOptions, 'dataDir' | 'node'>,
  commitEntries?: number,
): Promise<Ingested> {
  const dir = mkdtempSync(join(tmpdir(), 'meshtap-store-ingest-'));
  const store = await Store.open({ dataDir: dir, node: 'n', ...options });
  try {
    const commits: number[] = [];
    await store.ingestFile(SOURCE, {
      commitEntries,
      onStored: (rows: readonly IndexRow[]) => commits.push(rows.length),
    });
    const page = store.entries.query('', { limit: 10_000, order: 'asc' });
    const entries = page.entries.map((e) => `${e.streamId} ${e.timestampUs} ${e.protocol}`);
    const orphans = page.entries.filter((e) => store.catalog.get(e.streamKey) === undefined).length;
    return { commits, entries, orphans };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Store.ingestFile commits', () => {
  test('committing thousands at a time stores the same entries as committing after every vector', async () => {
    const perVector = await ingest({});
    const batched = await ingest({}, 100_000);
    assert.ok(perVector.commits.length >= 2, `per vector: ${perVector.commits.join(', ')}`);
    assert.ok(perVector.entries.length > 100);
    assert.deepEqual(batched.commits, [perVector.entries.length]);
    assert.deepEqual(batched.entries, perVector.entries);
  });

  test('entries still pending when retention removes their streams are removed with them', async () => {
    // A 1-byte limit: the retention run at the end of the file removes every closed stream.
    const batched = await ingest({ retention: { maxTotalBytes: 1 } }, 100_000);
    assert.ok(batched.commits.length > 0);
    assert.equal(batched.orphans, 0);
    assert.deepEqual(batched.entries, []);
  });
});
