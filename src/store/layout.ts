import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { NAME_HISTORY_FILE } from '../resolve/history.js';
import { MeshtapError } from '../util/errors.js';

/**
 * Where things live in a data directory:
 *
 *     DATA/streams/YYYY/MM/DD/HH/<streamKey>.pcap        one pcap per L4 stream, by the UTC hour of its first packet
 *     DATA/names/<node>/name_resolution_history.json     the node's name history (+ .jsonl journal)
 *
 * Paths stored in the catalog are relative to DATA with `/` separators, so a data directory
 * (or a snapshot of it) can be moved.
 */
export const STREAMS_DIR = 'streams';
export const NAMES_DIR = 'names';

export const STORE_ERROR_CODES = {
  /** A path taken from the catalog or a caller would leave the data directory. */
  STORE_PATH_OUTSIDE_DATA: 'STORE_PATH_OUTSIDE_DATA',
  /** A stream key is not of the form the store writes. */
  STORE_BAD_STREAM_KEY: 'STORE_BAD_STREAM_KEY',
  /** Writing a stream file failed (disk full, permissions); the file keeps its last whole record. */
  STORE_WRITE_FAILED: 'STORE_WRITE_FAILED',
} as const;

const MAX_NODE_CHARS = 63;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A node name made safe for file names: letters, digits, `_ . -` only, at most 63 characters. */
export function safeNodeName(node: string = hostname()): string {
  const cleaned = node.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[._-]+/, '');
  return (cleaned || 'node').slice(0, MAX_NODE_CHARS);
}

/**
 * A token unique to one store run: UTC start time plus 16 random bits. Flow ids restart
 * at 0 in every run, so the run token is what keeps stream keys unique when the same data
 * directory ingests twice.
 */
export function newRunId(nowMs: number = Date.now()): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${stamp}Z-${randomBytes(2).toString('hex')}`;
}

/** `<node>_<runId>_<flowId>`: unique across nodes and runs, stable for the stream's life, a safe file name. */
export function streamKey(node: string, runId: string, flowId: number): string {
  return `${node}_${runId}_${flowId}`;
}

/** Throws STORE_BAD_STREAM_KEY unless `key` could have been made by streamKey (keys arrive from users and archives). */
export function checkStreamKey(key: string): string {
  if (!SAFE_NAME.test(key) || key.length > 160)
    throw new MeshtapError(STORE_ERROR_CODES.STORE_BAD_STREAM_KEY, `bad stream key "${key}"`, { key });
  return key;
}

/** `streams/YYYY/MM/DD/HH/<key>.pcap` for a stream whose first packet was at `firstTsUs`. */
export function streamRelativePath(key: string, firstTsUs: number): string {
  const iso = new Date(Math.floor(firstTsUs / 1000)).toISOString();
  const [y, m, d, h] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13)];
  return `${STREAMS_DIR}/${y}/${m}/${d}/${h}/${checkStreamKey(key)}.pcap`;
}

/** The absolute path of a DATA-relative path; throws STORE_PATH_OUTSIDE_DATA if it would leave DATA. */
export function dataPath(dataDir: string, rel: string): string {
  const root = resolve(dataDir);
  const full = resolve(root, rel);
  const back = relative(root, full);
  if (isAbsolute(rel) || back === '' || back.startsWith('..' + sep) || back === '..' || isAbsolute(back))
    throw new MeshtapError(
      STORE_ERROR_CODES.STORE_PATH_OUTSIDE_DATA,
      `path ${rel} leaves the data directory`,
      {
        path: rel,
      },
    );
  return full;
}

/** `DATA/names/<node>/name_resolution_history.json`. */
export function nameHistoryPath(dataDir: string, node: string): string {
  return join(resolve(dataDir), NAMES_DIR, safeNodeName(node), NAME_HISTORY_FILE);
}
