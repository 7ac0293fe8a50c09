import { rmdirSync, unlinkSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { dataPath, STREAMS_DIR } from './layout.js';
import type { StreamCatalog, StreamRow, StreamUsage } from './stream-catalog.js';

/** How much the store keeps. The defaults fit a laptop. */
export interface RetentionSettings {
  /** Total size of the stream files. Default 2 GiB. */
  maxTotalBytes: number;
  /** Streams whose last packet is older than this are removed. Default 7 days. */
  maxAgeUs: number;
  /**
   * What "now" is for the age limit: 'newest-stream' (default) measures age back from the
   * newest stored packet, so importing an old capture file does not delete it at once;
   * 'clock' uses the wall clock, as a long-running agent may prefer.
   */
  ageReference: 'newest-stream' | 'clock';
}

export const DEFAULT_RETENTION: RetentionSettings = {
  maxTotalBytes: 2 * 1024 ** 3,
  maxAgeUs: 7 * 24 * 3600e6,
  ageReference: 'newest-stream',
};

export interface RetentionOptions {
  catalog: StreamCatalog;
  dataDir: string;
  settings?: Partial<RetentionSettings>;
  /** Overrides the age reference (µs). */
  nowUs?: number;
  /** Called with the keys of the removed streams (the caller deletes their entries). */
  onStreamsRemoved?(keys: string[]): void;
}

export interface RetentionResult {
  removed: string[];
  freedBytes: number;
  usage: StreamUsage;
  /** Still above the size limit: what is left is open streams, which are never removed. */
  overLimit: boolean;
}

/** Streams looked at per catalog query while choosing what to remove. */
const PAGE = 256;

/**
 * Removes the oldest closed streams (by last packet) until the store is within both limits:
 * files and rows go together, and the caller hears which keys went. Open streams are never
 * removed (their files are being written); they count towards the size all the same.
 */
export function applyRetention(opts: RetentionOptions): RetentionResult {
  const s = { ...DEFAULT_RETENTION, ...opts.settings };
  const start = opts.catalog.usage();
  const reference = opts.nowUs ?? (s.ageReference === 'clock' ? Date.now() * 1000 : (start.newestUs ?? 0));
  const cutoffUs = reference - s.maxAgeUs;
  let total = start.fileBytes;
  const removed: string[] = [];
  let freedBytes = 0;
  for (;;) {
    const page = opts.catalog.list({ closed: true, order: 'oldest', limit: PAGE });
    const victims: StreamRow[] = [];
    for (const row of page) {
      if (row.lastTsUs >= cutoffUs && total <= s.maxTotalBytes) break;
      victims.push(row);
      total -= row.fileBytes;
    }
    if (victims.length === 0) break;
    freedBytes += removeStreams(opts.catalog, opts.dataDir, victims, opts.onStreamsRemoved);
    removed.push(...victims.map((r) => r.streamKey));
    if (victims.length < page.length || page.length < PAGE) break;
  }
  // Usage is a scan of the whole catalog; with nothing removed it is still what it was.
  const usage = removed.length === 0 ? start : opts.catalog.usage();
  return { removed, freedBytes, usage, overLimit: usage.fileBytes > s.maxTotalBytes };
}

/**
 * Removes streams' files and rows. Rows are marked first, so a removal cut short (a crash)
 * is finished by recoverStreams; then the files go, then the rows, then the callback.
 * Returns the file bytes freed.
 */
export function removeStreams(
  catalog: StreamCatalog,
  dataDir: string,
  rows: readonly StreamRow[],
  onStreamsRemoved?: (keys: string[]) => void,
): number {
  if (rows.length === 0) return 0;
  const keys = rows.map((r) => r.streamKey);
  catalog.markRemoving(keys);
  let freed = 0;
  for (const row of rows) {
    removeFile(dataDir, row.filePath);
    freed += row.fileBytes;
  }
  catalog.delete(keys);
  onStreamsRemoved?.(keys);
  return freed;
}

/** Deletes a stream file and the hour/day/month/year directories it leaves empty. */
function removeFile(dataDir: string, rel: string): void {
  const path = dataPath(dataDir, rel);
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const root = resolve(dataDir, STREAMS_DIR);
  for (let dir = dirname(path); dir.startsWith(root + sep) && dir !== root; dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (or gone): the directories above are not empty either
    }
  }
}

/** What the store holds, with its limits: bytes, streams, oldest and newest packet. */
export interface UsageReport extends StreamUsage {
  maxTotalBytes: number;
  maxAgeUs: number;
  /** fileBytes as a share of maxTotalBytes, 0..1 (may exceed 1 while open streams grow). */
  fill: number;
}

export function usageReport(catalog: StreamCatalog, settings: Partial<RetentionSettings> = {}): UsageReport {
  const s = { ...DEFAULT_RETENTION, ...settings };
  const usage = catalog.usage();
  return {
    ...usage,
    maxTotalBytes: s.maxTotalBytes,
    maxAgeUs: s.maxAgeUs,
    fill: usage.fileBytes / s.maxTotalBytes,
  };
}
