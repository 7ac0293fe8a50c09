/**
 * One direction of an HTTP/1.x connection as a resumable state machine: message heads,
 * bodies framed by Content-Length, chunked coding (with trailers) or connection close,
 * resynchronisation after gaps and garbage. What the messages mean is the sink's business.
 */
import type { ByteMeter } from '../types.js';
import { StreamBuffer } from '../util/stream-buffer.js';
import { findHeadEnd, headLines, parseHeaderLines, type HeaderField } from './head.js';

export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' }
  /** Stop parsing: the rest of the direction is another protocol (after 101, a CONNECT tunnel). */
  | { kind: 'stop' };

export interface MessageSink {
  /** Checks the start line; says how the body is framed, or null when the start line is bad. */
  head(lines: string[], startTsUs: number, headBytes: number): Framing | null;
  body(bytes: Uint8Array): void;
  bodyLost(length: number): void;
  trailers(fields: HeaderField[]): void;
  complete(tsUs: number, wireSize: number): void;
  /** The message in progress can not be finished (gap, bad chunk, end of stream). */
  broken(wireSize: number, reason: string): void;
  /** Bytes that followed a 'stop' head; only valid during the call. */
  rest(bytes: Uint8Array, tsUs: number): void;
  /** Whether `b[p..]` may start a message of this direction. */
  looksLikeStart(b: Uint8Array, p: number): 'yes' | 'no' | 'need-more';
  anomaly(name: string): void;
}

type State =
  | 'start'
  | 'head'
  | 'length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-end'
  | 'trailers'
  | 'close'
  | 'resync'
  | 'stopped';

/** Chunk-size lines are short; anything longer than this is not chunked framing. */
const MAX_CHUNK_LINE = 1024;

export class MessageReader {
  private readonly buffer: StreamBuffer;
  private state: State = 'start';
  /** Body or chunk bytes still expected. */
  private remaining = 0;
  /** Wire bytes of the message in progress. */
  private wire = 0;
  private startTs = 0;
  /** How far the head search got, relative to the message start, so a long head is scanned once. */
  private scanned = 0;
  /** Set by a step that needs more bytes than the view holds. */
  private more = false;
  /** Whether the next byte of a resync search begins a line (only line starts can begin a message). */
  private lineStart = true;
  /** While paused (a request that asked to upgrade waits for its answer), bytes are only kept. */
  paused = false;

  constructor(
    private readonly sink: MessageSink,
    private readonly maxHead: number,
    meter: ByteMeter,
  ) {
    this.buffer = new StreamBuffer(meter);
  }

  /** A message has started and not finished. */
  get inMessage(): boolean {
    return this.state !== 'start' && this.state !== 'resync' && this.state !== 'stopped';
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  push(bytes: Uint8Array, tsUs: number): void {
    if (this.state === 'stopped') return;
    const view = this.buffer.view(bytes);
    let p = 0;
    this.more = false;
    while (p < view.length && !this.more && !this.paused && !this.stopped) {
      p = this.step(view, p, tsUs);
    }
    if (this.stopped && p < view.length) this.sink.rest(view.subarray(p), tsUs);
    if (this.stopped) this.buffer.clear();
    else if (this.paused && view.length - p > this.maxHead) this.overflow();
    else this.buffer.keep(view, p);
  }

  /** Takes the bytes kept while paused (the new protocol's first bytes after an upgrade). */
  takeKept(): Uint8Array {
    const kept = this.buffer.view(new Uint8Array(0)).slice();
    this.buffer.clear();
    return kept;
  }

  stop(): void {
    this.state = 'stopped';
    this.buffer.clear();
  }

  gap(length: number): void {
    if (this.state === 'stopped') return;
    if (
      (this.state === 'length' || this.state === 'chunk-data') &&
      length <= this.remaining &&
      this.buffer.size === 0
    ) {
      this.remaining -= length;
      this.wire += length;
      this.sink.bodyLost(length);
      if (this.remaining === 0 && this.state === 'length') this.finish(0);
      else if (this.remaining === 0) this.state = 'chunk-end';
      return;
    }
    if (this.state === 'close') {
      this.wire += length;
      this.sink.bodyLost(length);
      return;
    }
    if (this.inMessage) this.sink.broken(this.wire + length, 'gap');
    this.buffer.clear();
    this.state = 'resync';
    // What follows a gap may well be the start of a message.
    this.lineStart = true;
  }

  /** End of stream: a body read to close is complete; anything else in progress is broken. */
  end(tsUs: number): void {
    if (this.state === 'close') this.sink.complete(tsUs, this.wire);
    else if (this.inMessage) this.sink.broken(this.wire + this.buffer.size, 'incomplete');
    this.state = 'stopped';
    this.buffer.clear();
  }

  private step(b: Uint8Array, p: number, tsUs: number): number {
    switch (this.state) {
      case 'start':
        return this.atStart(b, p, tsUs);
      case 'head':
        return this.inHead(b, p, tsUs);
      case 'length':
      case 'chunk-data':
      case 'close':
        return this.inBody(b, p, tsUs);
      case 'chunk-size':
        return this.chunkSize(b, p);
      case 'chunk-end':
        return this.chunkEnd(b, p);
      case 'trailers':
        return this.inTrailers(b, p, tsUs);
      default:
        return this.resync(b, p);
    }
  }

  /** Skips blank lines between messages (RFC 9112 §2.2) and checks the start of a message. */
  private atStart(b: Uint8Array, p: number, tsUs: number): number {
    while (p < b.length && (b[p] === 0x0d || b[p] === 0x0a)) p++;
    if (p >= b.length) return p;
    const looks = this.sink.looksLikeStart(b, p);
    if (looks === 'need-more') return this.needMore(p);
    if (looks === 'no') {
      this.sink.anomaly('http1.garbage');
      return this.toResync(b, skipLine(b, p));
    }
    this.state = 'head';
    this.startTs = tsUs;
    this.wire = 0;
    this.scanned = 0;
    return p;
  }

  private inHead(b: Uint8Array, p: number, tsUs: number): number {
    const end = findHeadEnd(b, p, p + this.scanned);
    if (end < 0) {
      if (b.length - p > this.maxHead) return this.headTooLarge(b);
      this.scanned = Math.max(0, b.length - p - 3);
      return this.needMore(p);
    }
    if (end - p > this.maxHead) return this.headTooLarge(b);
    this.wire = end - p;
    const framing = this.sink.head(headLines(b, p, end), this.startTs, this.wire);
    if (framing === null) return this.toResync(b, skipLine(b, p));
    this.frame(framing, tsUs);
    return end;
  }

  private headTooLarge(b: Uint8Array): number {
    this.sink.anomaly('http1.header_too_large');
    return this.toResync(b, b.length);
  }

  private frame(f: Framing, tsUs: number): void {
    if (f.kind === 'length' && f.length > 0) [this.state, this.remaining] = ['length', f.length];
    else if (f.kind === 'chunked') this.state = 'chunk-size';
    else if (f.kind === 'close') this.state = 'close';
    else if (f.kind === 'stop') this.state = 'stopped';
    else this.finish(tsUs);
  }

  private finish(tsUs: number): void {
    this.state = 'start';
    this.sink.complete(tsUs, this.wire);
  }

  private inBody(b: Uint8Array, p: number, tsUs: number): number {
    const n = this.state === 'close' ? b.length - p : Math.min(this.remaining, b.length - p);
    this.sink.body(b.subarray(p, p + n));
    this.wire += n;
    if (this.state === 'close') return p + n;
    this.remaining -= n;
    if (this.remaining === 0) {
      if (this.state === 'length') this.finish(tsUs);
      else this.state = 'chunk-end';
    }
    return p + n;
  }

  private chunkSize(b: Uint8Array, p: number): number {
    const lf = b.indexOf(0x0a, p);
    if (lf < 0) return b.length - p > MAX_CHUNK_LINE ? this.badChunk(b) : this.needMore(p);
    let size = 0;
    let digits = 0;
    for (let i = p; i < lf; i++, digits++) {
      const d = hexDigit(b[i]);
      if (d < 0) break;
      size = size * 16 + d;
    }
    if (digits === 0 || digits > 12) return this.badChunk(b);
    this.wire += lf + 1 - p;
    if (size === 0) this.state = 'trailers';
    else [this.state, this.remaining] = ['chunk-data', size];
    return lf + 1;
  }

  /** The CRLF after chunk data. */
  private chunkEnd(b: Uint8Array, p: number): number {
    if (b[p] === 0x0a) return this.afterChunk(p + 1, 1);
    if (b[p] !== 0x0d) return this.badChunk(b);
    if (p + 1 >= b.length) return this.needMore(p);
    return b[p + 1] === 0x0a ? this.afterChunk(p + 2, 2) : this.badChunk(b);
  }

  private afterChunk(next: number, n: number): number {
    this.wire += n;
    this.state = 'chunk-size';
    return next;
  }

  private badChunk(b: Uint8Array): number {
    this.sink.anomaly('http1.bad_chunk');
    this.sink.broken(this.wire, 'bad_chunk');
    return this.toResync(b, b.length);
  }

  private inTrailers(b: Uint8Array, p: number, tsUs: number): number {
    const end = findHeadEnd(b, p, p);
    if (end < 0) return b.length - p > this.maxHead ? this.headTooLarge(b) : this.needMore(p);
    const lines = headLines(b, p, end);
    if (lines.length > 0) this.sink.trailers(parseHeaderLines(lines, 0, (n) => this.sink.anomaly(n)));
    this.wire += end - p;
    this.finish(tsUs);
    return end;
  }

  /** Continues the search for a message start at `next`, which is a line start if a LF precedes it. */
  private toResync(b: Uint8Array, next: number): number {
    this.state = 'resync';
    this.lineStart = next > 0 && b[next - 1] === 0x0a;
    return next;
  }

  /** Looks for the next line that can start a message. */
  private resync(b: Uint8Array, p: number): number {
    let i = this.lineStart ? p : skipLine(b, p);
    this.lineStart = true;
    while (i < b.length) {
      const looks = this.sink.looksLikeStart(b, i);
      if (looks === 'yes') {
        this.state = 'start';
        return i;
      }
      if (looks === 'need-more') return this.needMore(i);
      i = skipLine(b, i);
    }
    this.lineStart = b[b.length - 1] === 0x0a;
    return i;
  }

  private needMore(p: number): number {
    this.more = true;
    return p;
  }

  private overflow(): void {
    this.sink.anomaly('http1.upgrade_buffer_overflow');
    this.buffer.clear();
  }
}

function skipLine(b: Uint8Array, p: number): number {
  const lf = b.indexOf(0x0a, p);
  return lf < 0 ? b.length : lf + 1;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}
