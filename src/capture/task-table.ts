import { migrate, type StoreDatabase } from '../store/database.js';
import type { CaptureTarget } from './task-spec.js';

export type CaptureTaskState = 'Pending' | 'Running' | 'Complete' | 'Failed' | 'Deleted';

/** A capture task as stored and as the API and CLI show it. */
export interface CaptureTask {
  id: number;
  fileName: string;
  target: CaptureTarget;
  durationSeconds: number;
  tcpdumpParams: string;
  sizeLimitBytes: number | null;
  state: CaptureTaskState;
  /** Why a task failed, or why it ended early (size limit, packet count). */
  reason: string | null;
  host: string;
  path: string;
  sizeBytes: number;
  packets: number;
  kernelDrops: number | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

interface TaskRow {
  id: number;
  file_name: string;
  target: string;
  duration_s: number;
  tcpdump_params: string;
  size_limit: number | null;
  state: CaptureTaskState;
  reason: string | null;
  host: string;
  path: string;
  size: number;
  packets: number;
  kernel_drops: number | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

const MIGRATIONS = [
  (db: StoreDatabase): void => {
    db.exec(`CREATE TABLE capture_tasks (
      id INTEGER PRIMARY KEY,
      file_name TEXT NOT NULL,
      target TEXT NOT NULL,
      duration_s INTEGER NOT NULL,
      tcpdump_params TEXT NOT NULL,
      size_limit INTEGER,
      state TEXT NOT NULL,
      reason TEXT,
      host TEXT NOT NULL,
      path TEXT NOT NULL,
      size INTEGER NOT NULL DEFAULT 0,
      packets INTEGER NOT NULL DEFAULT 0,
      kernel_drops INTEGER,
      created_at TEXT NOT NULL,
      started_at TEXT,
      ended_at TEXT
    )`);
    // A file name belongs to one live task at a time; a deleted task's name may be reused.
    db.exec(
      `CREATE UNIQUE INDEX capture_tasks_live_file ON capture_tasks (file_name) WHERE state != 'Deleted'`,
    );
  },
  (db: StoreDatabase): void => {
    db.exec('ALTER TABLE capture_tasks ADD COLUMN capture_pid INTEGER');
  },
];

export type NewTask = Pick<
  CaptureTask,
  'fileName' | 'target' | 'durationSeconds' | 'tcpdumpParams' | 'sizeLimitBytes' | 'host' | 'path'
>;

/** The `capture_tasks` table: task state survives restarts of the hub. */
export class CaptureTaskTable {
  constructor(private readonly db: StoreDatabase) {
    migrate(db, 'capture_tasks', MIGRATIONS);
  }

  /** Inserts a Pending task; returns null when a live task already uses the file name. */
  insert(task: NewTask): CaptureTask | null {
    const result = this.db
      .prepare(
        `INSERT OR IGNORE INTO capture_tasks (file_name, target, duration_s, tcpdump_params, size_limit, state, host, path, created_at)
         VALUES (?, ?, ?, ?, ?, 'Pending', ?, ?, ?)`,
      )
      .run(
        task.fileName,
        JSON.stringify(task.target),
        task.durationSeconds,
        task.tcpdumpParams,
        task.sizeLimitBytes,
        task.host,
        task.path,
        new Date().toISOString(),
      );
    return result.changes === 0 ? null : (this.get(Number(result.lastInsertRowid)) ?? null);
  }

  get(id: number): CaptureTask | undefined {
    const row = this.db.prepare('SELECT * FROM capture_tasks WHERE id = ?').get(id) as TaskRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  list(opts: { includeDeleted?: boolean } = {}): CaptureTask[] {
    const sql = opts.includeDeleted
      ? 'SELECT * FROM capture_tasks ORDER BY id'
      : `SELECT * FROM capture_tasks WHERE state != 'Deleted' ORDER BY id`;
    return (this.db.prepare(sql).all() as TaskRow[]).map(fromRow);
  }

  markRunning(id: number, capturePid: number | null): void {
    this.db
      .prepare(
        `UPDATE capture_tasks SET state = 'Running', started_at = ?, capture_pid = ? WHERE id = ? AND state = 'Pending'`,
      )
      .run(new Date().toISOString(), capturePid, id);
  }

  /** The capture process a task recorded when it started running. */
  capturePid(id: number): number | null {
    const row = this.db.prepare('SELECT capture_pid FROM capture_tasks WHERE id = ?').get(id) as
      { capture_pid: number | null } | undefined;
    return row?.capture_pid ?? null;
  }

  progress(id: number, sizeBytes: number, packets: number): void {
    this.db
      .prepare('UPDATE capture_tasks SET size = ?, packets = ? WHERE id = ?')
      .run(sizeBytes, packets, id);
  }

  /** Ends a Pending or Running task; a task already ended or deleted keeps its state. */
  finish(
    id: number,
    state: 'Complete' | 'Failed',
    fields: { reason?: string | null; sizeBytes: number; packets: number; kernelDrops?: number | null },
  ): void {
    this.db
      .prepare(
        `UPDATE capture_tasks SET state = ?, reason = ?, size = ?, packets = ?, kernel_drops = ?, ended_at = ?
         WHERE id = ? AND state IN ('Pending', 'Running')`,
      )
      .run(
        state,
        fields.reason ?? null,
        fields.sizeBytes,
        fields.packets,
        fields.kernelDrops ?? null,
        new Date().toISOString(),
        id,
      );
  }

  markDeleted(id: number): void {
    this.db
      .prepare(`UPDATE capture_tasks SET state = 'Deleted', ended_at = COALESCE(ended_at, ?) WHERE id = ?`)
      .run(new Date().toISOString(), id);
  }

  /** Tasks a previous process left Pending or Running: it stopped (crash, restart) before they ended. */
  unfinished(): CaptureTask[] {
    return (
      this.db
        .prepare(`SELECT * FROM capture_tasks WHERE state IN ('Pending', 'Running') ORDER BY id`)
        .all() as TaskRow[]
    ).map(fromRow);
  }
}

function fromRow(row: TaskRow): CaptureTask {
  return {
    id: row.id,
    fileName: row.file_name,
    target: JSON.parse(row.target) as CaptureTarget,
    durationSeconds: row.duration_s,
    tcpdumpParams: row.tcpdump_params,
    sizeLimitBytes: row.size_limit,
    state: row.state,
    reason: row.reason,
    host: row.host,
    path: row.path,
    sizeBytes: row.size,
    packets: row.packets,
    kernelDrops: row.kernel_drops,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}
