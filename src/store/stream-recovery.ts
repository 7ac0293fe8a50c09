import { dataPath } from './layout.js';
import { removeStreams } from './retention.js';
import type { StreamCatalog, StreamRow } from './stream-catalog.js';
import { repairStreamFile } from './stream-pcap.js';

export interface RecoveryResult {
  /** Streams left open by an earlier run, now closed with counts read from their files. */
  closed: string[];
  /** Of those, the ones whose file ended in a torn record that was cut off. */
  repaired: string[];
  /** Streams whose interrupted removal was finished. */
  removed: string[];
}

/**
 * Brings the catalog and the stream files back in step after a run that did not finish
 * (kill -9, power cut of the process): removals that were under way are completed, and
 * every stream still marked open has its torn last record cut off and its row set from
 * what the file really holds, then closed. Run it before a store starts writing into the
 * data directory; never while another process writes there.
 */
export async function recoverStreams(
  catalog: StreamCatalog,
  dataDir: string,
  onStreamsRemoved?: (keys: string[]) => void,
): Promise<RecoveryResult> {
  const result: RecoveryResult = { closed: [], repaired: [], removed: [] };
  const removing = catalog.removing();
  removeStreams(catalog, dataDir, removing, onStreamsRemoved);
  result.removed = removing.map((r) => r.streamKey);
  for (const row of catalog.list({ closed: false })) {
    const contents = await repairStreamFile(dataPath(dataDir, row.filePath));
    if (contents !== null && contents.cutBytes > 0) result.repaired.push(row.streamKey);
    catalog.upsert(closedFromFile(row, contents));
    result.closed.push(row.streamKey);
  }
  return result;
}

function closedFromFile(row: StreamRow, contents: Awaited<ReturnType<typeof repairStreamFile>>): StreamRow {
  if (contents === null) return { ...row, packets: 0, bytes: 0, fileBytes: 0, closed: true };
  return {
    ...row,
    packets: contents.records,
    bytes: contents.capturedBytes,
    fileBytes: contents.fileBytes,
    firstTsUs: contents.firstTsUs ?? row.firstTsUs,
    lastTsUs: contents.lastTsUs ?? row.firstTsUs,
    closed: true,
  };
}
