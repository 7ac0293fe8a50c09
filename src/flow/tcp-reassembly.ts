import type { Direction, StreamDissector } from '../dissect/types.js';
import { PendingSegment, TcpDirection, overlapDiffers } from './tcp-direction.js';

/** TCP header flag bits (the flags byte of the header). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Where reassembled bytes go: exactly a StreamDissector, so a dissector can be the sink. */
export type StreamSink = StreamDissector;

export interface ReassemblyLimits {
  /** Most out-of-order bytes held for one stream (both directions); beyond it the oldest hole becomes a gap. */
  maxBufferedBytes: number;
  /** Most out-of-order segments held for one stream. */
  maxBufferedSegments: number;
  /** Segments or ACKs further than this ahead of the next expected byte are taken as garbage. */
  maxSeqJump: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxBufferedBytes: 4 << 20,
  maxBufferedSegments: 4096,
  maxSeqJump: 1 << 30,
};

/**
 * What a reassembler reports to its owner. An object with methods (a flow's session), not
 * closures: a closure and its context per flow add up over hundreds of thousands of flows.
 */
export interface ReassemblyHooks {
  /** Told whenever the buffered byte count changes (a ByteMeter: the flow table's global limit). */
  hold?(delta: number): void;
  /** Counts an oddity with a stable name (a StreamContext's anomaly). */
  anomaly?(name: string): void;
}

const NO_HOOKS: ReassemblyHooks = {};

/** The limits with defaults for what is missing; complete limits are returned as they are, so flows can share one object. */
export function withReassemblyDefaults(limits: Partial<ReassemblyLimits>): ReassemblyLimits {
  const { maxBufferedBytes, maxBufferedSegments, maxSeqJump } = limits;
  if (maxBufferedBytes !== undefined && maxBufferedSegments !== undefined && maxSeqJump !== undefined)
    return limits as ReassemblyLimits;
  return { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
}

export interface ReassemblyStats {
  segments: number;
  deliveredBytes: [number, number];
  gaps: number;
  gapBytes: number;
  /** Segments that brought no new byte (whole retransmissions) or only partly new ones. */
  retransmissions: number;
  keepAlives: number;
  outOfOrder: number;
  overlapConflicts: number;
  /** Segments dropped as garbage: out of window, data after FIN, after end(). */
  ignored: number;
}

/**
 * Reassembles one TCP connection (both directions) into in-order bytes for a sink.
 *
 * Each direction's bytes are delivered as soon as they are in order, so the sink sees the
 * two directions interleaved as the capture made them available. Missing bytes are never
 * glued over: they are reported as gap(dir, length) when their size is known for sure —
 * the peer acknowledged past them, the out-of-order buffer hit its limit, or the stream
 * ended (FIN/RST linger over, idle, eviction, end of input) with data or a FIN beyond them.
 */
export class TcpReassembler {
  readonly stats: ReassemblyStats = {
    segments: 0,
    deliveredBytes: [0, 0],
    gaps: 0,
    gapBytes: 0,
    retransmissions: 0,
    keepAlives: 0,
    outOfOrder: 0,
    overlapConflicts: 0,
    ignored: 0,
  };
  private readonly limits: ReassemblyLimits;
  private readonly dirs: [TcpDirection, TcpDirection] = [new TcpDirection(), new TcpDirection()];
  private ended = false;

  constructor(
    private readonly sink: StreamSink,
    limits: Partial<ReassemblyLimits> = DEFAULT_REASSEMBLY_LIMITS,
    private readonly hooks: ReassemblyHooks = NO_HOOKS,
  ) {
    this.limits = withReassemblyDefaults(limits);
  }

  /** Out-of-order bytes held right now (both directions). */
  get bufferedBytes(): number {
    return this.dirs[0].pendingBytes + this.dirs[1].pendingBytes;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** One TCP segment. `payload` is only read during the call (what is kept is copied). */
  segment(dir: Direction, seq: number, ack: number, flags: number, payload: Uint8Array, tsUs: number): void {
    if (this.ended) {
      this.stats.ignored++;
      return;
    }
    this.stats.segments++;
    const d = this.dirs[dir];
    // Without a SYN the direction starts at the first sequence number seen (mid-stream pickup).
    if (!d.started) d.start((flags & TCP_SYN) !== 0 ? seq + 1 : seq, (flags & TCP_SYN) === 0);
    const dataSeq = (flags & TCP_SYN) !== 0 ? (seq + 1) >>> 0 : seq >>> 0;
    if (payload.length > 0) this.accept(dir, d, dataSeq, payload, tsUs);
    if ((flags & TCP_FIN) !== 0) this.noteFin(d, (dataSeq + payload.length) >>> 0);
    if ((flags & TCP_ACK) !== 0) this.acknowledged(dir === 0 ? 1 : 0, ack >>> 0, tsUs);
  }

  /** The stream is over: report what is still missing as gaps, deliver what is buffered, then end the sink. */
  end(tsUs: number): void {
    if (this.ended) return;
    this.ended = true;
    for (const dir of [0, 1] as const) {
      const d = this.dirs[dir];
      while (d.pending.length > 0) this.skipToPending(dir, d, tsUs);
      if (d.finOffset > d.delivered) this.gap(dir, d, d.finOffset - d.delivered, tsUs);
    }
    this.sink.end(tsUs);
  }

  private accept(dir: Direction, d: TcpDirection, seq: number, payload: Uint8Array, tsUs: number): void {
    let start = d.offsetOf(seq);
    let bytes = payload;
    if (start - d.delivered > this.limits.maxSeqJump) return this.ignore('tcp.seq_out_of_window');
    if (d.finOffset >= 0 && start + bytes.length > d.finOffset) {
      if (start >= d.finOffset) return this.ignore('tcp.data_after_fin');
      bytes = bytes.subarray(0, d.finOffset - start);
    }
    const end = start + bytes.length;
    if (end <= d.delivered) {
      // A keep-alive probe is one garbage byte (or none) at the sequence just before the next one.
      if (end === d.delivered && bytes.length <= 1) this.stats.keepAlives++;
      else this.stats.retransmissions++;
      return;
    }
    if (start < d.delivered) {
      this.stats.retransmissions++;
      bytes = bytes.subarray(d.delivered - start);
      start = d.delivered;
    }
    if (start === d.delivered) {
      this.deliver(dir, d, bytes, tsUs);
      this.drain(dir, d, start, bytes, tsUs);
      return;
    }
    this.stats.outOfOrder++;
    this.bufferOutOfOrder(d, start, bytes);
    this.enforceLimits(dir, tsUs);
  }

  /** Delivers the pending segments that the last delivery made contiguous; `recent` is that delivery, for overlap checks. */
  private drain(
    dir: Direction,
    d: TcpDirection,
    recentStart: number,
    recent: Uint8Array | null,
    tsUs: number,
  ): void {
    while (d.pending.length > 0 && d.pending[0].start <= d.delivered) {
      const p = d.pending.shift() as PendingSegment;
      this.release(d, p.bytes.length);
      if (recent !== null && overlapDiffers(recentStart, recent, p.start, p.bytes)) this.conflict();
      if (p.end > d.delivered) this.deliver(dir, d, p.bytes.subarray(d.delivered - p.start), tsUs);
    }
  }

  /** Stores the parts of an out-of-order segment not already held (first-seen data wins). */
  private bufferOutOfOrder(d: TcpDirection, start: number, bytes: Uint8Array): void {
    const end = start + bytes.length;
    const pending = d.pending;
    let i = d.firstEndingAfter(start);
    let cursor = start;
    while (cursor < end) {
      const p = i < pending.length ? pending[i] : null;
      const holeEnd = p === null ? end : Math.min(p.start, end);
      if (holeEnd > cursor) {
        pending.splice(i, 0, new PendingSegment(cursor, bytes.slice(cursor - start, holeEnd - start)));
        this.hold(d, holeEnd - cursor);
        i++;
      }
      if (p === null || p.start >= end) return;
      if (overlapDiffers(start, bytes, p.start, p.bytes)) this.conflict();
      cursor = p.end;
      i++;
    }
  }

  /** Over a per-stream limit: the oldest hole becomes a gap and what follows it is delivered. */
  private enforceLimits(dir: Direction, tsUs: number): void {
    const other: Direction = dir === 0 ? 1 : 0;
    let bound = this.limits.maxBufferedSegments + 2; // each round empties at least one segment
    while (bound-- > 0 && this.overLimits()) {
      const victim = this.dirs[dir].pending.length > 0 ? dir : other;
      this.skipToPending(victim, this.dirs[victim], tsUs);
    }
  }

  private overLimits(): boolean {
    return (
      this.bufferedBytes > this.limits.maxBufferedBytes ||
      this.dirs[0].pending.length + this.dirs[1].pending.length > this.limits.maxBufferedSegments
    );
  }

  /** Reports the hole before the first pending segment as a gap and delivers the run that follows. */
  private skipToPending(dir: Direction, d: TcpDirection, tsUs: number): void {
    const first = d.pending[0];
    if (first.start > d.delivered) this.gap(dir, d, first.start - d.delivered, tsUs);
    this.drain(dir, d, 0, null, tsUs);
  }

  private noteFin(d: TcpDirection, finSeq: number): void {
    const offset = d.offsetOf(finSeq);
    if (offset < d.delivered || offset - d.delivered > this.limits.maxSeqJump)
      return this.ignore('tcp.fin_out_of_window');
    if (d.finOffset < 0 || offset < d.finOffset) d.finOffset = offset;
  }

  /**
   * The peer acknowledged direction `dir` up to `ack`: every byte before it was sent, so a
   * byte we still lack there was lost by the capture, not by the network. Report it now.
   */
  private acknowledged(dir: Direction, ack: number, tsUs: number): void {
    const d = this.dirs[dir];
    if (!d.started) return;
    let target = d.offsetOf(ack);
    if (d.finOffset >= 0 && target > d.finOffset) target = d.finOffset; // the FIN takes one sequence number
    if (target <= d.delivered) return;
    if (target - d.delivered > this.limits.maxSeqJump) return this.ignore('tcp.ack_out_of_window');
    // A stream picked up mid-connection has no beginning to miss: until its first byte, the
    // start moves up to what the peer acknowledged (the first packet seen was e.g. a keep-alive).
    if (d.startMovable) return d.start(ack, true);
    while (d.delivered < target) {
      const p = d.pending.length > 0 ? d.pending[0] : null;
      if (p !== null && p.start <= d.delivered) this.drain(dir, d, 0, null, tsUs);
      else this.gap(dir, d, (p !== null && p.start < target ? p.start : target) - d.delivered, tsUs);
    }
  }

  private deliver(dir: Direction, d: TcpDirection, bytes: Uint8Array, tsUs: number): void {
    d.advance(bytes.length);
    this.stats.deliveredBytes[dir] += bytes.length;
    this.sink.data(dir, bytes, tsUs);
  }

  private gap(dir: Direction, d: TcpDirection, length: number, tsUs: number): void {
    d.advance(length);
    this.stats.gaps++;
    this.stats.gapBytes += length;
    this.sink.gap(dir, length, tsUs);
  }

  private hold(d: TcpDirection, n: number): void {
    d.pendingBytes += n;
    this.hooks.hold?.(n);
  }

  private release(d: TcpDirection, n: number): void {
    d.pendingBytes -= n;
    this.hooks.hold?.(-n);
  }

  private conflict(): void {
    this.stats.overlapConflicts++;
    this.hooks.anomaly?.('tcp.overlap_conflict');
  }

  private ignore(anomaly: string): void {
    this.stats.ignored++;
    this.hooks.anomaly?.(anomaly);
  }
}
