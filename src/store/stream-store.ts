import { unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Flow } from '../flow/flow-table.js';
import type { GraphPacket } from '../graph/packet.js';
import { MAX_RECORD_BYTES } from '../pcap/limits.js';
import type { CaptureInterface } from '../pcap/record.js';
import type { FlowSession } from '../pipeline/flow-plane.js';
import { formatIp } from '../resolve/address.js';
import { MeshtapError } from '../util/errors.js';
import { newRunId, safeNodeName, streamKey, streamRelativePath } from './layout.js';
import { applyRetention, type RetentionSettings } from './retention.js';
import type { StreamCatalog, StreamRow } from './stream-catalog.js';
import { StreamFileHandles } from './stream-files.js';
import { DEFAULT_FRAGMENT_HOLD_LIMITS, FragmentHold, type FragmentHoldLimits } from './stream-fragments.js';
import { StagingBuffer, type QueuedRecord, type StoredRecord, type StreamFileFormat } from './stream-pcap.js';

export interface StreamStoreOptions {
  dataDir: string;
  catalog: StreamCatalog;
  /** This node's name (default: the host name), made safe for file names. */
  node?: string;
  /** Default: a fresh newRunId(). */
  runId?: string;
  /** Most stream files open at once (default 128); others are reopened in append mode when needed. */
  maxOpenFiles?: number;
  /** Delete a stream's file and row once no dissector claims it (default false: keep every stream). */
  dropUnclaimed?: boolean;
  /**
   * The capture source's interfaces (pass the reader's live `interfaces` array): a stream's
   * file is nanosecond pcap when its interface has finer than microsecond timestamps.
   */
  interfaces?: readonly CaptureInterface[];
  /** How often (packet time) ended flows are looked for, their files closed and rows marked closed. Default 1 s. */
  endCheckIntervalUs?: number;
  /** Longest wall-clock time (ms) the catalog's counts may lag behind the files. Default 250. */
  catalogFlushMs?: number;
  fragments?: Partial<FragmentHoldLimits>;
  /** Retention run by the store itself after every `everyBytes` written (default 16 MiB) and at finish(). */
  retention?: {
    settings?: Partial<RetentionSettings>;
    everyBytes?: number;
    onStreamsRemoved(keys: string[]): void;
  };
}

export interface StreamStoreStats {
  streams: number;
  packets: number;
  /** Bytes written to stream files (headers included). */
  fileBytes: number;
  /** Streams deleted because no dissector claimed them (dropUnclaimed). */
  droppedUnclaimed: number;
  /** Packets not stored, by reason. */
  skipped: Map<string, number>;
}

/** The store's state for one live stream. */
interface StreamState {
  readonly flow: Flow<FlowSession>;
  readonly session: FlowSession;
  readonly key: string;
  /** null until the stream's first packet is stored. */
  row: StreamRow | null;
  path: string;
  format: StreamFileFormat;
  batch: QueuedRecord[];
  /** No more packets are stored (unclaimed and dropped, or its file could not be written). */
  stopped: boolean;
  /** File and row were deleted (dropUnclaimed). */
  dropped: boolean;
}

const DEFAULT_MAX_OPEN_FILES = 128;
const DEFAULT_RETENTION_EVERY_BYTES = 16 << 20;

/**
 * Writes every L4 stream to its own pcap file as packets arrive and keeps the `streams`
 * catalog in step. Packets are queued per stream during a vector; at the end of the vector
 * each stream's records go to its file in one synchronous write of whole records, between
 * two catalog transactions: new streams' rows before (so no file ever lacks a row) and the
 * new counts after (so a row never claims more than its file holds, even after kill -9).
 */
export class StreamStore {
  readonly node: string;
  readonly runId: string;
  readonly stats: StreamStoreStats = {
    streams: 0,
    packets: 0,
    fileBytes: 0,
    droppedUnclaimed: 0,
    skipped: new Map(),
  };
  private readonly states = new Map<number, StreamState>();
  private readonly dirty: StreamState[] = [];
  /** Streams whose counts grew since the catalog last heard of them. */
  private readonly unsaved = new Set<StreamState>();
  private lastSaveMs = 0;
  private readonly handles: StreamFileHandles;
  private readonly staging = new StagingBuffer();
  private readonly hold: FragmentHold;
  /** The data directory as an absolute path, resolved once. */
  private readonly dataRoot: string;
  private clockUs = 0;
  private lastEndCheckUs = 0;
  private bytesSinceRetention = 0;
  /** The packet latest in capture order seen so far, and its time: "now" for the fragment hold. */
  private lastSeq = -1;
  private lastSeqTsUs = 0;

  constructor(private readonly opts: StreamStoreOptions) {
    this.node = safeNodeName(opts.node);
    this.runId = opts.runId ?? newRunId();
    this.handles = new StreamFileHandles(opts.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
    this.hold = new FragmentHold({ ...DEFAULT_FRAGMENT_HOLD_LIMITS, ...opts.fragments });
    this.dataRoot = resolve(opts.dataDir);
  }

  /** The key of the stream with this flow id in this run (what entries' streamId names). */
  keyFor(streamId: number): string {
    return streamKey(this.node, this.runId, streamId);
  }

  /** A new flow: the store follows it until it ends. */
  track(flow: Flow<FlowSession>, session: FlowSession): void {
    this.states.set(flow.id, {
      flow,
      session,
      key: this.keyFor(flow.id),
      row: null,
      path: '',
      format: { linkType: 0, snaplen: MAX_RECORD_BYTES, nanosecond: false },
      batch: [],
      stopped: false,
      dropped: false,
    });
  }

  /** Offered every packet that reaches flow lookup: IP fragments are kept until their datagram completes. */
  noteFragment(pkt: GraphPacket): void {
    this.hold.offer(pkt);
    if (pkt.seq >= this.lastSeq) {
      this.lastSeq = pkt.seq;
      this.lastSeqTsUs = pkt.tsUs;
    }
  }

  /** Queues a packet of stream `streamId`; a reassembled datagram stands for the fragments that made it. */
  add(pkt: GraphPacket, streamId: number): void {
    const state = this.states.get(streamId);
    if (state === undefined || state.stopped) return;
    if (!pkt.derived) {
      this.queue(state, pkt);
      return;
    }
    const fragments = this.hold.take(pkt.seq);
    if (fragments.length === 0) this.skip('fragments_not_held');
    for (const f of fragments) this.queue(state, f);
  }

  /** Writes what the vector queued and, now and then, closes the streams whose flows ended. */
  endOfVector(): void {
    if (this.dirty.length > 0) this.writeQueued();
    this.hold.expire(this.lastSeqTsUs);
    if (this.clockUs - this.lastEndCheckUs >= (this.opts.endCheckIntervalUs ?? 1e6)) {
      this.lastEndCheckUs = this.clockUs;
      this.closeEnded(false);
    }
    if (this.bytesSinceRetention >= (this.opts.retention?.everyBytes ?? DEFAULT_RETENTION_EVERY_BYTES))
      this.runRetention();
  }

  /** End of the run (after the flow plane finished): every stream is written and closed. */
  finish(): void {
    if (this.dirty.length > 0) this.writeQueued();
    this.closeEnded(true);
    this.handles.closeAll();
    if (this.opts.retention) this.runRetention();
  }

  get openFiles(): number {
    return this.handles.openCount;
  }

  private queue(state: StreamState, rec: QueuedRecord): void {
    if (state.batch.length === 0) this.dirty.push(state);
    state.batch.push(rec);
    const tsUs = tsUsOf(rec);
    if (tsUs > this.clockUs) this.clockUs = tsUs;
  }

  private writeQueued(): void {
    const live = this.dropUnclaimedIn(this.dirty);
    const fresh = live.filter((s) => s.row === null).map((s) => this.createRow(s));
    // Rows go in before their files exist, so that no file is ever without its row.
    if (fresh.length > 0) this.opts.catalog.upsertMany(fresh);
    for (const state of live) {
      this.writeBatch(state);
      this.unsaved.add(state);
    }
    this.dirty.length = 0;
    this.saveCounts(false);
  }

  /**
   * Counts reach the catalog after the bytes reach the files, so a row never claims more than
   * its file holds; batched over catalogFlushMs because a transaction per vector would cost
   * more than the writes themselves.
   */
  private saveCounts(now: boolean): void {
    if (this.unsaved.size === 0) return;
    const ms = performance.now();
    if (!now && ms - this.lastSaveMs < (this.opts.catalogFlushMs ?? 250)) return;
    this.lastSaveMs = ms;
    const rows: StreamRow[] = [];
    for (const state of this.unsaved) if (state.row !== null && !state.dropped) rows.push(state.row);
    this.unsaved.clear();
    this.opts.catalog.updateCounts(rows);
  }

  /** With dropUnclaimed, streams the dissectors gave up on are deleted at once (the verdict is final). */
  private dropUnclaimedIn(states: StreamState[]): StreamState[] {
    if (!this.opts.dropUnclaimed) return states;
    return states.filter((s) => {
      if (s.session.protocol !== 'unclaimed') return true;
      this.drop(s);
      return false;
    });
  }

  private createRow(state: StreamState): StreamRow {
    const batch = sortBySeq(state.batch);
    const first = batch[0];
    const firstTsUs = tsUsOf(first);
    const iface = this.opts.interfaces?.[first.interfaceId];
    state.format = {
      linkType: first.linkType,
      snaplen: MAX_RECORD_BYTES,
      nanosecond: (iface?.tsUnitsPerSecond ?? 1e6) > 1e6,
    };
    const flow = state.flow;
    const filePath = streamRelativePath(state.key, firstTsUs);
    // The key was checked (checkStreamKey: no separators), so the path cannot leave DATA and
    // needs no dataPath() check: its two path resolutions were half the cost of createRow.
    state.path = join(this.dataRoot, filePath);
    state.row = {
      streamKey: state.key,
      node: this.node,
      transport: state.session.transport,
      clientIp: formatIp(flow.clientAddr),
      clientPort: flow.clientPort,
      serverIp: formatIp(flow.serverAddr),
      serverPort: flow.serverPort,
      firstTsUs,
      lastTsUs: firstTsUs,
      packets: 0,
      bytes: 0,
      fileBytes: 0,
      filePath,
      protocol: null,
      closed: false,
    };
    this.stats.streams++;
    return state.row;
  }

  /** One write of whole records; the row's counts move only once the bytes are in the file. */
  private writeBatch(state: StreamState): void {
    const row = state.row as StreamRow;
    const { format, batch } = state;
    const staging = this.staging;
    staging.reset();
    if (row.fileBytes === 0) staging.fileHeader(format);
    let packets = 0;
    let bytes = 0;
    let firstTsUs = row.firstTsUs;
    let lastTsUs = row.lastTsUs;
    for (const rec of sortBySeq(batch)) {
      if (rec.linkType !== format.linkType) {
        this.skip('link_type_differs_from_stream');
        continue;
      }
      staging.record(rec, format.nanosecond);
      packets++;
      bytes += rec.data.length;
      const tsUs = tsUsOf(rec);
      // Fragments held from earlier vectors may be older than the stream's first packet so far.
      firstTsUs = Math.min(firstTsUs, tsUs);
      lastTsUs = Math.max(lastTsUs, tsUs);
    }
    batch.length = 0;
    try {
      this.handles.write(state.path, staging.bytes, staging.used, row.fileBytes);
    } catch (err) {
      if (!(err instanceof MeshtapError)) throw err;
      this.skip('write_failed', packets);
      state.stopped = true;
      return;
    }
    row.packets += packets;
    row.bytes += bytes;
    row.fileBytes += staging.used;
    row.firstTsUs = firstTsUs;
    row.lastTsUs = lastTsUs;
    row.protocol = protocolOf(state.session);
    this.stats.packets += packets;
    this.stats.fileBytes += staging.used;
    this.bytesSinceRetention += staging.used;
  }

  /** Closes the streams whose flows ended (all of them at the end of the run). */
  private closeEnded(all: boolean): void {
    for (const [id, state] of this.states) {
      if (!all && !state.flow.ended) continue;
      this.states.delete(id);
      if (state.row === null) continue;
      this.handles.close(state.path);
      if (state.dropped) continue;
      if (this.opts.dropUnclaimed && protocolOf(state.session) === null) {
        this.drop(state);
        continue;
      }
      state.row.protocol = protocolOf(state.session);
      state.row.closed = true;
      this.unsaved.add(state);
    }
    this.saveCounts(true);
  }

  /** Deletes a stream's file and row; later packets of its flow are ignored. */
  private drop(state: StreamState): void {
    state.stopped = true;
    state.dropped = true;
    this.unsaved.delete(state);
    state.batch.length = 0;
    this.stats.droppedUnclaimed++;
    if (state.row === null) return;
    this.handles.close(state.path);
    this.opts.catalog.delete([state.key]);
    try {
      unlinkSync(state.path);
    } catch {
      // Never written (its first batch was dropped) or already gone.
    }
  }

  private runRetention(): void {
    this.bytesSinceRetention = 0;
    const r = this.opts.retention;
    if (!r) return;
    applyRetention({
      catalog: this.opts.catalog,
      dataDir: this.opts.dataDir,
      settings: r.settings,
      onStreamsRemoved: r.onStreamsRemoved,
    });
  }

  private skip(reason: string, count = 1): void {
    this.stats.skipped.set(reason, (this.stats.skipped.get(reason) ?? 0) + count);
  }
}

/** The claiming dissector's name, or null while none has (or none will). */
function protocolOf(session: FlowSession): string | null {
  const p = session.protocol;
  return p === 'unclaimed' ? null : p;
}

function tsUsOf(rec: StoredRecord): number {
  return rec.tsSec * 1_000_000 + Math.floor(rec.tsNsec / 1000);
}

/** Packets of one stream arrive in capture order except reassembled fragments; sort only when needed. */
function sortBySeq(batch: QueuedRecord[]): QueuedRecord[] {
  for (let i = 1; i < batch.length; i++) {
    if (batch[i].seq < batch[i - 1].seq) return batch.sort((a, b) => a.seq - b.seq);
  }
  return batch;
}
