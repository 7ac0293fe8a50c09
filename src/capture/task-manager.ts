import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createCaptureWriter, formatForPath, type CaptureWriter } from '../pcap/index.js';
import type { StoreDatabase } from '../store/database.js';
import { MeshtapError, UsageError } from '../util/errors.js';
import { validateTaskRequest, type CaptureTaskRequest, type CaptureTaskSpec } from './task-spec.js';
import { CaptureTaskTable, type CaptureTask } from './task-table.js';
import { TcpdumpSource, type CaptureStats, type LiveCaptureSource } from './tcpdump-source.js';

export const TASK_CODES = {
  TASK_NOT_FOUND: 'TASK_NOT_FOUND',
  TASK_DUPLICATE_FILE_NAME: 'TASK_DUPLICATE_FILE_NAME',
  TASK_NOT_DOWNLOADABLE: 'TASK_NOT_DOWNLOADABLE',
} as const;
const C = TASK_CODES;

/** Makes the live source of a task; tests and a future AF_PACKET source plug in here. */
export type SourceFactory = (spec: CaptureTaskSpec) => LiveCaptureSource;

export interface CaptureTaskManagerOptions {
  db: StoreDatabase;
  /** Where task captures are written, one file per task. */
  dir: string;
  host?: string;
  sourceFactory?: SourceFactory;
}

const DURATION_REACHED = 'duration reached';
const SIZE_LIMIT_REACHED = 'size limit reached';
const COUNT_REACHED = 'packet count reached';
const HUB_STOPPED = 'meshtap was stopped while the task ran';
const UNEXPECTED_EXIT = 'tcpdump ended before the task did';

/** How often a running task's size and packet count are written to the table. */
const PROGRESS_INTERVAL_MS = 1000;

const defaultSource: SourceFactory = (spec) =>
  new TcpdumpSource({
    params: spec.params,
    netns: spec.target.kind === 'netns' ? spec.target.netns : undefined,
  });

/**
 * Runs capture tasks: Pending → Running → Complete | Failed, and Deleted on request.
 * State lives in SQLite, so a restart finds every task; one that was running when the
 * process died becomes Failed with a reason, and its partial file is kept.
 */
export class CaptureTaskManager {
  private readonly table: CaptureTaskTable;
  private readonly running = new Map<number, RunningTask>();
  private readonly settled = new Map<number, Promise<void>>();
  private readonly host: string;
  private readonly makeSource: SourceFactory;

  constructor(private readonly opts: CaptureTaskManagerOptions) {
    this.table = new CaptureTaskTable(opts.db);
    this.host = opts.host ?? hostname();
    this.makeSource = opts.sourceFactory ?? defaultSource;
    mkdirSync(opts.dir, { recursive: true });
    this.recoverUnfinished();
  }

  /** Validates and starts a task; returns it as stored (Pending or already Running). */
  create(req: CaptureTaskRequest): CaptureTask {
    const spec = validateTaskRequest(req);
    const path = join(this.opts.dir, spec.fileName);
    const task = this.table.insert({
      fileName: spec.fileName,
      target: spec.target,
      durationSeconds: spec.durationSeconds,
      tcpdumpParams: spec.tcpdumpParams,
      sizeLimitBytes: spec.sizeLimitBytes,
      host: this.host,
      path,
    });
    if (task === null) {
      throw new UsageError(
        C.TASK_DUPLICATE_FILE_NAME,
        `a capture task already writes ${spec.fileName}; choose another name or delete that task`,
      );
    }
    this.settled.set(task.id, this.run(task, spec));
    return this.table.get(task.id)!;
  }

  list(): CaptureTask[] {
    return this.table.list();
  }

  get(id: number): CaptureTask {
    const task = this.table.get(id);
    if (task === undefined || task.state === 'Deleted')
      throw new MeshtapError(C.TASK_NOT_FOUND, `no capture task ${id}`);
    return task;
  }

  /** The file of an ended task, for download. */
  downloadPath(id: number): string {
    const task = this.get(id);
    if (task.state !== 'Complete' && task.state !== 'Failed') {
      throw new MeshtapError(
        C.TASK_NOT_DOWNLOADABLE,
        `capture task ${id} is ${task.state}; download it once it has ended`,
      );
    }
    try {
      statSync(task.path);
    } catch {
      throw new MeshtapError(
        C.TASK_NOT_DOWNLOADABLE,
        `capture task ${id} has no capture file (${task.reason ?? 'nothing was captured'})`,
      );
    }
    return task.path;
  }

  /** Stops the task if it runs, removes its file and marks it Deleted. */
  async delete(id: number): Promise<CaptureTask> {
    const task = this.get(id);
    await this.running.get(id)?.stop('deleted');
    await this.settled.get(id);
    rmSync(task.path, { force: true });
    this.table.markDeleted(id);
    return this.table.get(id)!;
  }

  /** Resolves when the task has ended (Complete, Failed or Deleted). */
  async settledTask(id: number): Promise<CaptureTask> {
    await this.settled.get(id);
    return this.table.get(id) ?? this.get(id);
  }

  /** Stops every running task (they end Failed: the hub is going away) and waits for them. */
  async close(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.stop(HUB_STOPPED)));
    await Promise.all(this.settled.values());
  }

  private recoverUnfinished(): void {
    for (const task of this.table.unfinished()) {
      endOrphanedCapture(this.table.capturePid(task.id));
      this.table.finish(task.id, 'Failed', {
        reason: 'meshtap stopped while the task was running; the partial capture is kept',
        sizeBytes: fileSize(task.path),
        packets: task.packets,
      });
    }
  }

  private async run(task: CaptureTask, spec: CaptureTaskSpec): Promise<void> {
    const job = new RunningTask(task, spec, this.makeSource(spec), this.table);
    this.running.set(task.id, job);
    try {
      await job.run();
    } finally {
      this.running.delete(task.id);
    }
  }
}

/** One task's capture: source → writer, bounded by duration, size limit and packet count. */
class RunningTask {
  private stopReason: string | null = null;
  private stopping: Promise<CaptureStats | null> | null = null;
  private sizeBytes = 0;
  private packets = 0;

  constructor(
    private readonly task: CaptureTask,
    private readonly spec: CaptureTaskSpec,
    private readonly source: LiveCaptureSource,
    private readonly table: CaptureTaskTable,
  ) {}

  stop(reason: string): Promise<CaptureStats | null> {
    this.stopReason ??= reason;
    this.stopping ??= this.source.stop();
    return this.stopping;
  }

  async run(): Promise<void> {
    const id = this.task.id;
    let writer: CaptureWriter | null = null;
    let timer: NodeJS.Timeout | undefined;
    const progress = setInterval(
      () => this.table.progress(id, this.sizeBytes, this.packets),
      PROGRESS_INTERVAL_MS,
    );
    try {
      await this.source.start();
      this.table.markRunning(id, this.source.pid);
      // The duration counts from when tcpdump listens: a slow start must not eat a short capture.
      timer = setTimeout(() => void this.stop(DURATION_REACHED), this.spec.durationSeconds * 1000);
      const reader = await this.source.reader();
      const format = formatForPath(this.task.path) ?? 'pcap';
      writer = createCaptureWriter(this.task.path, { format, interfaces: [...reader.interfaces] });
      this.sizeBytes = format === 'pcap' ? 24 : 0;
      for await (const batch of reader.batches()) {
        for (const record of batch) {
          // Bytes the record adds to the file: a pcap record header, or a pcapng EPB with padding.
          const size = format === 'pcap' ? 16 + record.data.length : 32 + pad4(record.data.length);
          if (this.spec.sizeLimitBytes !== null && this.sizeBytes + size > this.spec.sizeLimitBytes) {
            void this.stop(SIZE_LIMIT_REACHED);
            break;
          }
          writer.write(record);
          this.sizeBytes += size;
          this.packets++;
        }
        await writer.flush();
      }
      await writer.close();
      writer = null;
      // The reader ends because we stopped the source, or because tcpdump exited by itself.
      const ended =
        this.stopReason ?? (this.spec.params.count !== undefined ? COUNT_REACHED : UNEXPECTED_EXIT);
      const stats = await this.stop(ended);
      this.table.finish(id, ended === HUB_STOPPED || ended === UNEXPECTED_EXIT ? 'Failed' : 'Complete', {
        reason: ended === DURATION_REACHED ? null : ended,
        sizeBytes: fileSize(this.task.path),
        packets: this.packets,
        kernelDrops: stats?.droppedByKernel ?? null,
      });
    } catch (err) {
      await writer?.close().catch(() => undefined);
      await this.stop('failed').catch(() => undefined);
      const message = err instanceof MeshtapError ? `${err.message} [${err.code}]` : (err as Error).message;
      this.table.finish(id, 'Failed', {
        reason: message,
        sizeBytes: fileSize(this.task.path),
        packets: this.packets,
      });
    } finally {
      clearTimeout(timer);
      clearInterval(progress);
    }
  }
}

/**
 * tcpdump drops root privileges after opening the device, which also clears any parent-death
 * signal, and it notices a dead reader only when it next writes: a capture whose owner was
 * killed can linger. A restart ends it, if that pid is still a tcpdump.
 */
function endOrphanedCapture(pid: number | null): void {
  if (pid === null) return;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('tcpdump')) return;
    process.kill(pid, 'SIGTERM');
  } catch {
    // Gone already (or not ours to signal): nothing is left running.
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
