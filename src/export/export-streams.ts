import type { CaptureFormat } from '../pcap/index.js';
import { dataPath } from '../store/layout.js';
import type { Store } from '../store/store.js';
import type { TimeRange } from '../store/entries-index.js';
import { mergeCaptures } from './merge-captures.js';

export interface ExportOptions extends TimeRange {
  format: CaptureFormat;
  /** pcap-filter expression every exported packet must also match. */
  filter?: string;
}

export interface ExportResult {
  streams: number;
  packets: number;
}

/**
 * `meshtap export`: the packets of every stream that has an entry matching the query (within
 * the time range), merged in time order into one capture, optionally narrowed by a pcap-filter.
 */
export async function exportMatchingStreams(
  store: Store,
  query: string,
  dest: string | NodeJS.WritableStream,
  opts: ExportOptions,
): Promise<ExportResult> {
  const keys = store.entries.streamKeysMatching(query, { since: opts.since, until: opts.until });
  const rows = store.catalog.getMany(keys).filter((r) => r.packets > 0);
  const paths = rows.map((r) => dataPath(store.dataDir, r.filePath));
  const merged = await mergeCaptures(paths, dest, { format: opts.format, filter: opts.filter });
  return { streams: rows.length, packets: merged.packets };
}
