/**
 * An HTTP/1.x connection: a request reader and a response reader, responses paired with
 * requests in order (pipelining), interim 1xx answers, upgrades (h2c handed to the HTTP/2
 * dissector, others recorded and parsing stopped), CONNECT tunnels, gaps.
 */
import { createUpgradedHttp2 } from '../http2/index.js';
import type { Direction, StreamContext, StreamDissector } from '../types.js';
import {
  Exchange,
  entryOf,
  requestParts,
  responseParts,
  requestObject,
  type MessageParts,
} from './exchange.js';
import {
  lastValue,
  listsToken,
  looksLikeRequestStart,
  looksLikeStatusStart,
  parseHeaderLines,
  parseRequestLine,
  parseStatusLine,
  type HeaderField,
} from './head.js';
import { MessageReader, type Framing, type MessageSink } from './reader.js';
import { WaitingExchanges, type ExchangeCost } from '../util/waiting-exchanges.js';

/** Heap snapshots of 20,000 pipelined GETs: ~650 B an exchange and ~4.5 B a head byte (docs/entries.md). */
const EXCHANGE_COST: ExchangeCost = { perExchange: 768, perParsedByte: 5 };

const NONE: Framing = { kind: 'none' };
const STOP: Framing = { kind: 'stop' };

export class Http1StreamDissector implements StreamDissector {
  /** Exchanges not yet emitted, in request order. */
  private readonly queue: Exchange[] = [];
  /** What the queued exchanges cost, declared to the stream's meter. */
  readonly waiting: WaitingExchanges;
  private readonly requests: MessageReader;
  private readonly responses: MessageReader;
  /** Set once the connection switched to HTTP/2 (h2c upgrade): every later byte goes there. */
  private http2: StreamDissector | null = null;
  private index = 0;
  /**
   * Which direction sends requests. Usually the initiator (0); a capture that starts
   * mid-connection may have named the server first, which its first bytes (a status line) show.
   */
  private clientDir: Direction | null = null;

  constructor(private readonly ctx: StreamContext) {
    this.waiting = new WaitingExchanges(ctx, EXCHANGE_COST);
    this.requests = new MessageReader(new RequestSink(this, ctx), ctx.limits.maxHeaderBytes, ctx);
    this.responses = new MessageReader(new ResponseSink(this, ctx), ctx.limits.maxHeaderBytes, ctx);
  }

  data(dir: Direction, bytes: Uint8Array, tsUs: number): void {
    if (this.http2) this.http2.data(dir, bytes, tsUs);
    else if (bytes.length > 0) this.reader(dir, bytes).push(bytes, tsUs);
  }

  gap(dir: Direction, length: number, tsUs: number): void {
    if (this.http2) this.http2.gap(dir, length, tsUs);
    else this.reader(dir, null).gap(length);
  }

  end(tsUs: number): void {
    this.requests.end(tsUs);
    this.responses.end(tsUs);
    this.http2?.end(tsUs);
    while (this.queue.length > 0) this.emitFirst();
  }

  private reader(dir: Direction, firstBytes: Uint8Array | null): MessageReader {
    if (this.clientDir === null && firstBytes !== null) {
      const reversed =
        dir === 0
          ? looksLikeStatusStart(firstBytes, 0) === 'yes'
          : looksLikeRequestStart(firstBytes, 0) === 'yes';
      this.clientDir = reversed ? 1 : 0;
      if (this.clientDir === 1) this.ctx.anomaly('http1.server_spoke_first');
    }
    return dir === (this.clientDir ?? 0) ? this.requests : this.responses;
  }

  // ---- used by the sinks ----

  /** The request whose head was just read. Too many unanswered ones: the oldest goes out unanswered. */
  openRequest(x: Exchange): void {
    if (this.queue.length >= this.ctx.limits.maxPendingExchanges) {
      this.ctx.anomaly('http1.too_many_pending');
      this.queue[0].flags.add('evicted');
      this.emitFirst();
    }
    this.enqueue(x);
  }

  /** The exchange the next response belongs to: the oldest without a final response. */
  responseTarget(tsUs: number): Exchange {
    const waiting = this.queue.find((x) => !x.response && !x.responseDone);
    if (waiting) return waiting;
    const orphan = new Exchange();
    orphan.requestDone = true;
    orphan.responseStartUs = tsUs;
    orphan.flags.add('no_request');
    this.enqueue(orphan);
    return orphan;
  }

  private enqueue(x: Exchange): void {
    this.queue.push(x);
    this.waiting.opened();
  }

  /** The first queued exchange leaves the queue (emitted or handed to HTTP/2): what it kept goes. */
  private dequeue(): Exchange {
    const x = this.queue.shift()!;
    x.release(this.waiting);
    return x;
  }

  /** Emits finished exchanges from the front, keeping the order of requests. */
  flush(): void {
    while (this.queue.length > 0 && this.queue[0].requestDone && this.queue[0].responseDone) this.emitFirst();
  }

  pauseRequests(): void {
    this.requests.paused = true;
  }

  resumeRequests(tsUs: number): void {
    if (!this.requests.paused) return;
    this.requests.paused = false;
    this.requests.push(new Uint8Array(0), tsUs);
  }

  /** After 101 (not h2c) or a CONNECT tunnel: the rest of the connection is not HTTP/1. */
  stopRequests(): void {
    this.requests.stop();
  }

  /** `Upgrade: h2c` answered by 101: HTTP/2 takes over; the upgraded request is its stream 1. */
  switchToHttp2(x: Exchange, tsUs: number): void {
    const i = this.queue.indexOf(x);
    for (let k = 0; k < i; k++) this.emitFirst();
    const request = x.request ? requestObject(x.request, this.ctx.limits.maxBodyBytes) : {};
    this.dequeue();
    this.http2 = createUpgradedHttp2(this.ctx, {
      request,
      timestampUs: x.requestStartUs,
      requestSize: x.requestSize,
      nextIndex: this.index,
    });
    const early = this.requests.takeKept();
    this.requests.stop();
    if (early.length > 0) this.http2.data(this.clientDir ?? 0, early, tsUs);
  }

  forwardToHttp2(bytes: Uint8Array, tsUs: number): void {
    this.http2?.data(this.clientDir === 1 ? 0 : 1, bytes, tsUs);
  }

  private emitFirst(): void {
    const x = this.queue[0];
    const [src, dst] =
      this.clientDir === 1 ? [this.ctx.server, this.ctx.client] : [this.ctx.client, this.ctx.server];
    this.ctx.emit(entryOf(x, this.ctx, this.index++, src, dst));
    this.dequeue();
  }
}

/** Content-Length, or null when absent; repeated or bad values are an anomaly (and the last good one wins). */
function contentLength(fields: HeaderField[], anomaly: (n: string) => void): number | null {
  const v = lastValue(fields, 'content-length');
  if (v === undefined) return null;
  const n = Number(v.split(',')[0].trim());
  if (!Number.isSafeInteger(n) || n < 0 || v.trim() === '') {
    anomaly('http1.bad_content_length');
    return null;
  }
  return n;
}

/** Transfer-Encoding whose last coding is chunked (RFC 9112 §6.1). */
function isChunked(fields: HeaderField[]): boolean {
  const te = lastValue(fields, 'transfer-encoding');
  if (te === undefined) return false;
  const codings = te.split(',');
  return codings[codings.length - 1].trim().toLowerCase() === 'chunked';
}

function bodyFraming(fields: HeaderField[], readToClose: boolean, anomaly: (n: string) => void): Framing {
  if (isChunked(fields)) return { kind: 'chunked' };
  const length = contentLength(fields, anomaly);
  if (length !== null) return { kind: 'length', length };
  return readToClose ? { kind: 'close' } : NONE;
}

function wantsUpgrade(fields: HeaderField[]): boolean {
  return lastValue(fields, 'upgrade') !== undefined && listsToken(fields, 'connection', 'upgrade');
}

/** What both directions do alike with the message in progress. */
abstract class SideSink {
  protected current: Exchange | null = null;

  constructor(
    protected readonly conn: Http1StreamDissector,
    protected readonly ctx: StreamContext,
  ) {}

  /** The request or response part of the current exchange. */
  protected abstract parts(): MessageParts | null | undefined;

  body(bytes: Uint8Array): void {
    this.parts()?.body.add(bytes);
  }

  bodyLost(length: number): void {
    this.parts()?.body.lost(length);
    this.current?.flags.add('gap');
  }

  trailers(fields: HeaderField[]): void {
    const parts = this.parts();
    if (parts) parts.trailers = fields;
  }

  anomaly(name: string): void {
    this.ctx.anomaly(name);
  }
}

class RequestSink extends SideSink implements MessageSink {
  protected parts(): MessageParts | null | undefined {
    return this.current?.request;
  }

  looksLikeStart(b: Uint8Array, p: number): 'yes' | 'no' | 'need-more' {
    return looksLikeRequestStart(b, p);
  }

  head(lines: string[], startTsUs: number, headBytes: number): Framing | null {
    const line = parseRequestLine(lines[0]);
    if (!line) {
      this.ctx.anomaly('http1.bad_request_line');
      return null;
    }
    const x = new Exchange();
    const headers = parseHeaderLines(lines, 1, (n) => this.ctx.anomaly(n));
    x.request = requestParts(line, headers, this.ctx);
    x.headParsed(headBytes, this.conn.waiting);
    x.requestStartUs = startTsUs;
    this.current = x;
    this.conn.openRequest(x);
    return bodyFraming(headers, false, (n) => this.ctx.anomaly(n));
  }

  complete(_tsUs: number, wireSize: number): void {
    const x = this.current!;
    this.current = null;
    x.requestDone = true;
    x.requestSize = wireSize;
    // What follows an upgrade request or CONNECT may be another protocol: wait for the answer.
    if (wantsUpgrade(x.request!.headers) || x.request!.method === 'CONNECT') this.conn.pauseRequests();
    this.conn.flush();
  }

  /** A request cut short; if even its head was lost, a placeholder keeps responses paired in order. */
  broken(wireSize: number, reason: string): void {
    let x = this.current;
    if (!x) {
      x = new Exchange();
      this.conn.openRequest(x);
    }
    this.current = null;
    x.flags.add(reason === 'gap' ? 'gap' : 'incomplete');
    x.requestDone = true;
    x.requestSize = wireSize;
    this.conn.flush();
  }

  rest(): void {}
}

class ResponseSink extends SideSink implements MessageSink {
  private interim = false;

  protected parts(): MessageParts | null | undefined {
    return this.current?.response;
  }

  looksLikeStart(b: Uint8Array, p: number): 'yes' | 'no' | 'need-more' {
    return looksLikeStatusStart(b, p);
  }

  head(lines: string[], startTsUs: number, headBytes: number): Framing | null {
    const line = parseStatusLine(lines[0]);
    if (!line) {
      this.ctx.anomaly('http1.bad_status_line');
      return null;
    }
    const x = this.conn.responseTarget(startTsUs);
    if (x.responseSize === 0) x.responseStartUs = startTsUs;
    const headers = parseHeaderLines(lines, 1, (n) => this.ctx.anomaly(n));
    x.headParsed(headBytes, this.conn.waiting);
    this.current = x;
    this.interim = line.status < 200 && line.status !== 101;
    if (this.interim) {
      x.interim.push({ status: line.status, statusText: line.reason, headers });
      return NONE;
    }
    x.response = responseParts(line, headers, this.ctx);
    if (line.status === 101) return this.upgraded(x, headers, startTsUs, headBytes);
    if (x.request?.method === 'CONNECT' && line.status < 300) return this.tunnel(x, headBytes);
    const bodiless = x.request?.method === 'HEAD' || line.status === 204 || line.status === 304;
    return bodiless ? NONE : bodyFraming(headers, true, (n) => this.ctx.anomaly(n));
  }

  private upgraded(x: Exchange, headers: HeaderField[], tsUs: number, headBytes: number): Framing {
    const h2c =
      x.request !== null &&
      listsToken(x.request.headers, 'upgrade', 'h2c') &&
      listsToken(headers, 'upgrade', 'h2c');
    if (h2c) {
      this.conn.switchToHttp2(x, tsUs);
      return STOP;
    }
    x.flags.add('upgraded');
    return this.tunnel(x, headBytes);
  }

  /** The connection now carries something else; record the exchange and stop both readers. */
  private tunnel(x: Exchange, headBytes: number): Framing {
    if (x.request?.method === 'CONNECT') x.flags.add('tunnel');
    this.complete(x.responseStartUs, headBytes);
    this.conn.stopRequests();
    return STOP;
  }

  complete(tsUs: number, wireSize: number): void {
    const x = this.current!;
    x.responseSize += wireSize;
    if (this.interim) return;
    this.current = null;
    x.responseDone = true;
    x.responseEndUs = tsUs;
    this.conn.flush();
    this.conn.resumeRequests(tsUs);
  }

  broken(wireSize: number, reason: string): void {
    const x = this.current;
    this.current = null;
    if (!x) return;
    x.flags.add(reason === 'gap' ? 'gap' : 'incomplete');
    x.responseSize += wireSize;
    x.responseDone = true;
    this.conn.flush();
  }

  rest(bytes: Uint8Array, tsUs: number): void {
    this.conn.forwardToHttp2(bytes, tsUs);
  }
}
