import type { EntryDraft } from '../dissect/entry.js';
import { openCapture, type CaptureReader } from '../pcap/index.js';
import { buildStoreGraph, type StoreGraph, type StoreGraphOptions } from '../pipeline/store-node.js';
import type { NameResolver } from '../resolve/types.js';
import type { CaptureFileError } from '../util/errors.js';
import { StreamStore, type StreamStoreOptions } from './stream-store.js';

export interface IngestOptions {
  /** A capture file path, '-' for stdin, or a readable stream. */
  source: string | NodeJS.ReadableStream | CaptureReader;
  /** Store settings; the reader's interfaces are filled in. */
  store: Omit<StreamStoreOptions, 'interfaces'>;
  filter?: string;
  /** Flow table, reassembly and dissector settings. */
  flow?: StoreGraphOptions['flow'];
  onEntry(entry: EntryDraft, streamKey: string): void;
  names?: NameResolver;
  /** Called after every vector is written (e.g. to commit the entries collected so far). */
  afterVector?(): void | Promise<void>;
  /** Called once the graph exists, before any packet (e.g. to arm traces). */
  onGraph?(graph: StoreGraph): void;
}

export interface IngestResult {
  packets: number;
  store: StreamStore;
  graph: StoreGraph;
  /** Damage in the capture file; every packet before it was stored. */
  error: CaptureFileError | null;
}

/** Reads a capture through the store graph: every stream to its own file, every entry to `onEntry`. */
export async function ingestCapture(opts: IngestOptions): Promise<IngestResult> {
  const reader = await openSource(opts.source);
  const store = new StreamStore({ ...opts.store, interfaces: reader.interfaces });
  const graph = buildStoreGraph({
    store,
    filter: opts.filter,
    flow: opts.flow,
    onEntry: opts.onEntry,
    names: opts.names,
  });
  opts.onGraph?.(graph);
  let packets = 0;
  try {
    for await (const batch of reader.batches()) {
      graph.ingest(batch);
      packets += batch.length;
      await opts.afterVector?.();
    }
  } finally {
    await reader.close();
  }
  graph.finish();
  await opts.afterVector?.();
  return { packets, store, graph, error: reader.error };
}

/** A path ('-' for stdin), a stream, or a reader already open (a live capture's). */
function openSource(source: IngestOptions['source']): Promise<CaptureReader> {
  if (typeof source === 'object' && 'batches' in source) return Promise.resolve(source);
  return openCapture(source === '-' ? process.stdin : source);
}
