/** Diameter over one TCP connection or SCTP association: framing, resync, request/answer pairing. */
import type { EntryDraft } from '../entry.js';
import type { Direction, StreamContext, StreamDissector } from '../types.js';
import { StreamBuffer } from '../util/stream-buffer.js';
import { uniqueFlags } from '../util/flags.js';
import { WaitingExchanges, type ExchangeCost } from '../util/waiting-exchanges.js';
import { COMMANDS } from './dictionary.js';
import { HEADER_LEN, isRequest, parseBody, readHeader, summarize, type DiameterHeader } from './message.js';

/** Heap snapshots of 20,000 requests waiting on one stream: ~830 B a request and ~8.6 B a message byte (docs/entries.md). */
const REQUEST_COST: ExchangeCost = { perExchange: 1024, perParsedByte: 9 };

interface Side {
  buffer: StreamBuffer;
  /** After garbage or a gap: only a header with a known command code is believed. */
  resync: boolean;
  /** Bytes of an over-long message still to be thrown away. */
  skip: number;
}

interface Message {
  dir: Direction;
  summary: Record<string, unknown>;
  tsUs: number;
  size: number;
  flags: string[];
  /** What the parsed request was declared to cost while it waits. */
  declared: number;
}

export class DiameterStreamDissector implements StreamDissector {
  private readonly sides: Side[];
  /** Requests waiting for their answer, keyed by hop-by-hop id and the request's direction. */
  private readonly pending = new Map<number, Message>();
  private readonly waiting: WaitingExchanges;
  private readonly anomaly: (name: string) => void;
  private index = 0;

  constructor(private readonly ctx: StreamContext) {
    this.sides = [0, 1].map(() => ({ buffer: new StreamBuffer(ctx), resync: false, skip: 0 }));
    this.anomaly = (name) => ctx.anomaly(name);
    this.waiting = new WaitingExchanges(ctx, REQUEST_COST);
  }

  data(dir: Direction, bytes: Uint8Array, tsUs: number): void {
    const side = this.sides[dir];
    const skipped = Math.min(side.skip, bytes.length);
    side.skip -= skipped;
    const view = side.buffer.view(skipped ? bytes.subarray(skipped) : bytes);
    let p = 0;
    while (p + HEADER_LEN <= view.length) {
      const h = this.header(side, view, p);
      if (h === null) {
        p = nextVersionByte(view, p + 1);
        continue;
      }
      if (h.length > this.ctx.limits.maxHeaderBytes) {
        this.ctx.anomaly('diameter.message_too_large');
        side.skip = Math.max(0, p + h.length - view.length);
        p = Math.min(view.length, p + h.length);
        continue;
      }
      if (p + h.length > view.length) break;
      this.message(dir, view, p, h, tsUs);
      p += h.length;
    }
    side.buffer.keep(view, p);
  }

  gap(dir: Direction, _length: number, _tsUs: number): void {
    const side = this.sides[dir];
    side.buffer.clear();
    side.skip = 0;
    side.resync = true;
    for (const m of this.pending.values()) if (!m.flags.includes('gap')) m.flags.push('gap');
  }

  end(_tsUs: number): void {
    for (const m of this.pending.values()) this.emit(m, null, ['no_response']);
    this.pending.clear();
    for (const side of this.sides) side.buffer.clear();
  }

  private header(side: Side, view: Uint8Array, p: number): DiameterHeader | null {
    const h = readHeader(view, p);
    if (h === null) {
      if (!side.resync) this.ctx.anomaly('diameter.bad_header');
      side.resync = true;
      return null;
    }
    if (side.resync && COMMANDS[h.commandCode] === undefined) return null;
    side.resync = false;
    return h;
  }

  private message(dir: Direction, view: Uint8Array, p: number, h: DiameterHeader, tsUs: number): void {
    let malformed = false;
    const avps = parseBody(view, p, h, (name) => {
      malformed = true;
      this.anomaly(name);
    });
    const m: Message = {
      dir,
      summary: summarize(h, avps),
      tsUs,
      size: h.length,
      flags: malformed ? ['malformed'] : [],
      declared: 0,
    };
    if (isRequest(h)) this.request(m, h.hopByHopId);
    else this.answer(m, h.hopByHopId);
  }

  private request(m: Message, hopByHop: number): void {
    const key = pendingKey(m.dir, hopByHop);
    const earlier = this.pending.get(key);
    if (earlier) {
      this.pending.delete(key);
      this.emit(earlier, null, ['no_response', 'retransmitted']);
    }
    if (this.pending.size >= this.ctx.limits.maxPendingExchanges) {
      this.ctx.anomaly('diameter.too_many_pending');
      const [oldestKey, oldest] = this.pending.entries().next().value as [number, Message];
      this.pending.delete(oldestKey);
      this.emit(oldest, null, ['no_response', 'evicted']);
    }
    this.pending.set(key, m);
    m.declared = this.waiting.opened(m.size);
  }

  private answer(m: Message, hopByHop: number): void {
    const key = pendingKey(m.dir === 0 ? 1 : 0, hopByHop);
    const req = this.pending.get(key);
    if (!req) {
      this.emit(null, m, ['no_request']);
      return;
    }
    this.pending.delete(key);
    this.emit(req, m, []);
  }

  /** Every request handed here has left `pending`: what it held is released. */
  private emit(req: Message | null, ans: Message | null, flags: string[]): void {
    if (req !== null) this.waiting.closed(req.declared);
    const first = (req ?? ans)!;
    const clientSent = (first.dir === 0) === (req !== null);
    const entry: EntryDraft = {
      protocol: 'diameter',
      transport: this.ctx.transport,
      streamId: this.ctx.streamId,
      index: this.index++,
      src: clientSent ? this.ctx.client : this.ctx.server,
      dst: clientSent ? this.ctx.server : this.ctx.client,
      timestampUs: first.tsUs,
      elapsedUs: req && ans ? ans.tsUs - req.tsUs : null,
      request: req?.summary ?? null,
      response: ans?.summary ?? null,
      requestSize: req?.size ?? 0,
      responseSize: ans?.size ?? 0,
      flags: uniqueFlags(req?.flags ?? [], ans?.flags ?? [], flags),
    };
    this.ctx.emit(entry);
  }
}

/** Next offset holding a version-1 byte; the header check there decides. */
function nextVersionByte(view: Uint8Array, from: number): number {
  const next = view.indexOf(1, from);
  return next < 0 ? view.length : next;
}

function pendingKey(requestDir: Direction, hopByHop: number): number {
  return requestDir * 0x1_0000_0000 + hopByHop;
}
