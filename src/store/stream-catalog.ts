import type Database from 'better-sqlite3';

export type StreamTransport = 'tcp' | 'udp' | 'sctp';

/** One stored L4 stream: who talked, when, how much, and where its pcap file is. */
export interface StreamRow {
  streamKey: string;
  node: string;
  transport: StreamTransport;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  /** µs since the epoch of the first and last packet written to the file. */
  firstTsUs: number;
  lastTsUs: number;
  packets: number;
  /** Captured bytes of those packets. */
  bytes: number;
  /** Size of the pcap file (header + records): what retention counts. */
  fileBytes: number;
  /** Relative to the data directory, `/`-separated. */
  filePath: string;
  /** The dissector that claimed the stream ('http1', 'http2', 'dns', 'diameter'), null when none did. */
  protocol: string | null;
  /** The flow ended (or the run that wrote it did); no more packets will be added. */
  closed: boolean;
}

export interface StreamListQuery {
  /** Streams with packets at or after this time (µs). */
  since?: number;
  /** Streams with packets at or before this time (µs). */
  until?: number;
  node?: string;
  protocol?: string;
  closed?: boolean;
  /** Oldest (by last packet) first, or newest first. Default oldest. */
  order?: 'oldest' | 'newest';
  limit?: number;
}

export interface StreamUsage {
  streams: number;
  openStreams: number;
  packets: number;
  bytes: number;
  fileBytes: number;
  /** First packet of the oldest stream and last packet of the newest, µs; null when empty. */
  oldestUs: number | null;
  newestUs: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (
  stream_key  TEXT PRIMARY KEY NOT NULL,
  node        TEXT NOT NULL,
  transport   TEXT NOT NULL,
  client_ip   TEXT NOT NULL,
  client_port INTEGER NOT NULL,
  server_ip   TEXT NOT NULL,
  server_port INTEGER NOT NULL,
  first_ts_us INTEGER NOT NULL,
  last_ts_us  INTEGER NOT NULL,
  packets     INTEGER NOT NULL DEFAULT 0,
  bytes       INTEGER NOT NULL DEFAULT 0,
  file_bytes  INTEGER NOT NULL DEFAULT 0,
  file_path   TEXT NOT NULL,
  protocol    TEXT,
  closed      INTEGER NOT NULL DEFAULT 0,
  removing    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS streams_by_last_ts ON streams (last_ts_us);
CREATE INDEX IF NOT EXISTS streams_by_first_ts ON streams (first_ts_us);
`;

const COLUMNS = `stream_key AS streamKey, node, transport, client_ip AS clientIp, client_port AS clientPort,
  server_ip AS serverIp, server_port AS serverPort, first_ts_us AS firstTsUs, last_ts_us AS lastTsUs,
  packets, bytes, file_bytes AS fileBytes, file_path AS filePath, protocol, closed`;

type RawRow = Omit<StreamRow, 'closed'> & { closed: number };

function toRow(raw: RawRow): StreamRow {
  return { ...raw, closed: raw.closed !== 0 };
}

/**
 * The `streams` table: one row per stored stream, kept in step with the stream files. It
 * takes an open better-sqlite3 database (the store's, in WAL mode) and creates its table.
 * Rows are written before their files (see StreamStore), so a file never lacks a row.
 */
export class StreamCatalog {
  private readonly upsertStmt: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly closeStmt: Database.Statement;
  private readonly countsStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly markRemovingStmt: Database.Statement;

  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.upsertStmt = db.prepare(`INSERT INTO streams (stream_key, node, transport, client_ip, client_port,
        server_ip, server_port, first_ts_us, last_ts_us, packets, bytes, file_bytes, file_path, protocol, closed)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (stream_key) DO UPDATE SET first_ts_us = excluded.first_ts_us, last_ts_us = excluded.last_ts_us,
        packets = excluded.packets, bytes = excluded.bytes, file_bytes = excluded.file_bytes,
        protocol = excluded.protocol, closed = excluded.closed`);
    this.getStmt = db.prepare(`SELECT ${COLUMNS} FROM streams WHERE stream_key = ?`);
    this.closeStmt = db.prepare('UPDATE streams SET closed = 1 WHERE stream_key = ?');
    this.countsStmt = db.prepare(`UPDATE streams SET first_ts_us = ?, last_ts_us = ?, packets = ?, bytes = ?,
      file_bytes = ?, protocol = ?, closed = ? WHERE stream_key = ?`);
    this.deleteStmt = db.prepare('DELETE FROM streams WHERE stream_key = ?');
    this.markRemovingStmt = db.prepare('UPDATE streams SET removing = 1 WHERE stream_key = ?');
  }

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  upsert(r: StreamRow): void {
    // Positional values: binding by name looks every parameter up by name, and needed a copy
    // of the row for `closed` as an integer; together a third of an insert's time.
    this.upsertStmt.run(
      r.streamKey,
      r.node,
      r.transport,
      r.clientIp,
      r.clientPort,
      r.serverIp,
      r.serverPort,
      r.firstTsUs,
      r.lastTsUs,
      r.packets,
      r.bytes,
      r.fileBytes,
      r.filePath,
      r.protocol,
      r.closed ? 1 : 0,
    );
  }

  upsertMany(rows: Iterable<StreamRow>): void {
    this.transaction(() => {
      for (const row of rows) this.upsert(row);
    });
  }

  /** Saves what changes while a stream is written (counts, times, protocol, closed), in one transaction. */
  updateCounts(rows: Iterable<StreamRow>): void {
    this.transaction(() => {
      for (const r of rows) {
        const closed = r.closed ? 1 : 0;
        this.countsStmt.run(
          r.firstTsUs,
          r.lastTsUs,
          r.packets,
          r.bytes,
          r.fileBytes,
          r.protocol,
          closed,
          r.streamKey,
        );
      }
    });
  }

  close(key: string): void {
    this.closeStmt.run(key);
  }

  get(key: string): StreamRow | undefined {
    const raw = this.getStmt.get(key) as RawRow | undefined;
    return raw === undefined ? undefined : toRow(raw);
  }

  /** The rows of these keys that exist, in the order given. */
  getMany(keys: Iterable<string>): StreamRow[] {
    const rows: StreamRow[] = [];
    for (const key of keys) {
      const row = this.get(key);
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }

  list(q: StreamListQuery = {}): StreamRow[] {
    const where: string[] = ['removing = 0'];
    const args: Array<string | number> = [];
    const add = (clause: string, value: string | number | undefined): void => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    add('last_ts_us >= ?', q.since);
    add('first_ts_us <= ?', q.until);
    add('node = ?', q.node);
    add('protocol = ?', q.protocol);
    add('closed = ?', q.closed === undefined ? undefined : q.closed ? 1 : 0);
    const order = q.order === 'newest' ? 'DESC' : 'ASC';
    const limit = q.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(q.limit))}`;
    const sql = `SELECT ${COLUMNS} FROM streams WHERE ${where.join(' AND ')} ORDER BY last_ts_us ${order}, stream_key${limit}`;
    return (this.db.prepare(sql).all(...args) as RawRow[]).map(toRow);
  }

  /** Deletes rows; returns how many existed. */
  delete(keys: Iterable<string>): number {
    let count = 0;
    this.transaction(() => {
      for (const key of keys) count += this.deleteStmt.run(key).changes;
    });
    return count;
  }

  /** Marks rows as being removed (their files go next): an interrupted removal is finished by recovery. */
  markRemoving(keys: Iterable<string>): void {
    this.transaction(() => {
      for (const key of keys) this.markRemovingStmt.run(key);
    });
  }

  /** Rows whose removal was interrupted. */
  removing(): StreamRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM streams WHERE removing = 1`).all() as RawRow[]).map(
      toRow,
    );
  }

  usage(): StreamUsage {
    const u = this.db
      .prepare(
        `SELECT count(*) AS streams, coalesce(sum(closed = 0), 0) AS openStreams,
          coalesce(sum(packets), 0) AS packets, coalesce(sum(bytes), 0) AS bytes,
          coalesce(sum(file_bytes), 0) AS fileBytes, min(first_ts_us) AS oldestUs, max(last_ts_us) AS newestUs
        FROM streams WHERE removing = 0`,
      )
      .get() as StreamUsage;
    return u;
  }
}
