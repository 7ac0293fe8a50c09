/**
 * Child process of the crash test: ingests a corpus capture `repeats` times (each copy
 * shifted one hour later, so every copy makes new streams) into a store, and prints one
 * line per vector written so the parent knows when to `kill -9` it.
 * Usage: crash-child.ts DATA_DIR INPUT REPEATS
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { copyRecord, openCapture } from '../../src/pcap/index.js';
import { buildStoreGraph } from '../../src/pipeline/store-node.js';
import { StreamCatalog } from '../../src/store/stream-catalog.js';
import { StreamStore } from '../../src/store/stream-store.js';

const [dataDir, input, repeats] = process.argv.slice(2);
const db = new Database(join(dataDir, 'store.db'));
db.pragma('journal_mode = WAL');
const catalog = new StreamCatalog(db);
const store = new StreamStore({ dataDir, catalog, node: 'crash', maxOpenFiles: 8 });
const graph = buildStoreGraph({ store, onEntry: () => undefined });
let vectors = 0;
for (let copy = 0; copy < Number(repeats); copy++) {
  const reader = await openCapture(input);
  for await (const batch of reader.batches()) {
    graph.ingest(batch.map((r) => ({ ...copyRecord(r), tsSec: r.tsSec + copy * 3600 })));
    process.stdout.write(`vector ${++vectors}\n`);
  }
}
graph.finish();
process.stdout.write('done\n');
