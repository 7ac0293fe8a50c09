import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureBuffer } from '../../src/pcap/index.js';
import { StreamCatalog } from '../../src/store/stream-catalog.js';

/** A fresh data directory (or a copy of a closed one) with a WAL-mode SQLite database and the streams catalog. */
export interface TestStore {
  dir: string;
  db: Database.Database;
  catalog: StreamCatalog;
  cleanup(): void;
}

export function openTestStore(prefix = 'meshtap-store-', copyOf?: string): TestStore {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (copyOf !== undefined) cpSync(copyOf, dir, { recursive: true });
  const db = new Database(join(dir, 'store.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return {
    dir,
    db,
    catalog: new StreamCatalog(db),
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Flow timeouts so long that streams split only where tshark splits them too (5-tuple, SYN reuse). */
export const NO_IDLE_TIMEOUTS = {
  table: { tcpEstablishedTimeoutUs: 1e15, tcpClosingTimeoutUs: 1e15, udpTimeoutUs: 1e15 },
};

/** A record read back from a stream file. */
export interface FileRecord {
  tsSec: number;
  tsNsec: number;
  caplen: number;
  origLen: number;
  /** MD5 of the captured bytes, as tshark's frame.md5_hash. */
  md5: string;
}

/** Reads a whole stream file with meshtap's reader (small files only: tests). */
export function readStreamRecords(path: string): {
  records: FileRecord[];
  nanosecond: boolean;
  error: string | null;
} {
  const buf = readFileSync(path);
  const contents = readCaptureBuffer(buf);
  return {
    records: contents.records.map((r) => ({
      tsSec: r.tsSec,
      tsNsec: r.tsNsec,
      caplen: r.data.length,
      origLen: r.origLen,
      md5: createHash('md5').update(r.data).digest('hex'),
    })),
    nanosecond: contents.interfaces[0]?.tsUnitsPerSecond === 1e9,
    error: contents.error?.code ?? null,
  };
}

/** `sec.fraction` as tshark prints frame.time_epoch → [sec, nsec]. */
export function parseEpoch(text: string): [number, number] {
  const [sec, frac = ''] = text.split('.');
  return [Number(sec), Number(frac.padEnd(9, '0').slice(0, 9))];
}
