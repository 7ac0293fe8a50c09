/** DNS over one UDP 5-tuple or TCP connection: framing, parsing, query/response pairing. */
import type { EntryDraft } from '../entry.js';
import type { Direction, StreamContext, StreamDissector } from '../types.js';
import { parseDnsMessage, type DnsMessage } from './message.js';
import { StreamBuffer } from '../util/stream-buffer.js';
import { uniqueFlags } from '../util/flags.js';
import { WaitingExchanges, type ExchangeCost } from '../util/waiting-exchanges.js';

/** mDNS sets the top bit of the class for its own meaning (RFC 6762). */
const MDNS_PORT = 5353;
const TCP_PREFIX = 2;
/** Heap snapshots of 20,000 queries waiting on one stream: ~380 B a query and ~8 B a message byte (docs/entries.md). */
const QUERY_COST: ExchangeCost = { perExchange: 384, perParsedByte: 8 };

interface Pending {
  dir: Direction;
  msg: DnsMessage;
  tsUs: number;
  size: number;
  flags: string[];
  /** What the parsed query was declared to cost while it waits. */
  declared: number;
}

/**
 * Most DNS flows are one UDP query and its answer, and a busy capture holds tens of
 * thousands of them until their idle timeout: what only TCP framing needs is made for TCP
 * flows only, and what waiting queries need exists only while some wait (80 bytes of the
 * ~500 a finished flow kept, for the collector to copy and trace).
 */
export class DnsStreamDissector implements StreamDissector {
  private readonly buffers: [StreamBuffer, StreamBuffer] | null;
  /** The queries waiting for their answers, oldest first, and what they hold: null when none wait. */
  private pending: Pending[] | null = null;
  private waiting: WaitingExchanges | null = null;
  private readonly mdns: boolean;
  private index = 0;

  constructor(private readonly ctx: StreamContext) {
    this.mdns = ctx.clientPort === MDNS_PORT || ctx.serverPort === MDNS_PORT;
    this.buffers = ctx.transport === 'udp' ? null : [new StreamBuffer(ctx), new StreamBuffer(ctx)];
  }

  data(dir: Direction, bytes: Uint8Array, tsUs: number): void {
    if (this.buffers === null) {
      this.message(dir, bytes, bytes.length, tsUs);
      return;
    }
    const buf = this.buffers[dir];
    const view = buf.view(bytes);
    let p = 0;
    while (p + TCP_PREFIX <= view.length) {
      const len = (view[p] << 8) | view[p + 1];
      if (p + TCP_PREFIX + len > view.length) break;
      if (len === 0) this.ctx.anomaly('dns.empty_tcp_message');
      else this.message(dir, view.subarray(p + TCP_PREFIX, p + TCP_PREFIX + len), len + TCP_PREFIX, tsUs);
      p += TCP_PREFIX + len;
    }
    buf.keep(view, p);
  }

  /** Message boundaries inside the lost bytes are unknown: drop the partial message and hope the next segment starts a new one. */
  gap(dir: Direction, _length: number, _tsUs: number): void {
    this.ctx.anomaly('dns.gap');
    this.buffers?.[dir].clear();
    for (const p of this.pending ?? []) if (!p.flags.includes('gap')) p.flags.push('gap');
  }

  end(_tsUs: number): void {
    while (this.pending !== null) this.emit(this.take(0), null, ['no_response']);
    this.buffers?.[0].clear();
    this.buffers?.[1].clear();
  }

  private message(dir: Direction, bytes: Uint8Array, size: number, tsUs: number): void {
    const msg = parseDnsMessage(bytes, this.mdns, this.ctx);
    if (msg === null) return;
    const flags = msg.malformed ? ['malformed'] : [];
    if (!msg.isResponse) this.query({ dir, msg, tsUs, size, flags, declared: 0 });
    else this.response({ dir, msg, tsUs, size, flags, declared: 0 });
  }

  private query(q: Pending): void {
    const dup = this.waitingFor(q.msg);
    if (dup >= 0) this.emit(this.take(dup), null, ['no_response', 'retransmitted']);
    if (this.pending !== null && this.pending.length >= this.ctx.limits.maxPendingExchanges) {
      this.ctx.anomaly('dns.too_many_pending');
      this.emit(this.take(0), null, ['no_response', 'evicted']);
    }
    if (this.pending === null) {
      this.pending = [];
      this.waiting = new WaitingExchanges(this.ctx, QUERY_COST);
    }
    this.pending.push(q);
    q.declared = this.waiting!.opened(q.size);
  }

  private response(r: Pending): void {
    const i = this.waitingFor(r.msg);
    if (i < 0) {
      this.emit(null, r, ['no_request']);
      return;
    }
    this.emit(this.take(i), r, []);
  }

  /** Where the query `msg` answers (or repeats) waits in `pending`; -1 when none does. */
  private waitingFor(msg: DnsMessage): number {
    return this.pending === null ? -1 : this.pending.findIndex((p) => sameExchange(p.msg, msg));
  }

  /** Takes the waiting query at `i` out of `pending`, releasing what it held. */
  private take(i: number): Pending {
    const pending = this.pending!;
    const q = pending.splice(i, 1)[0]!;
    this.waiting!.closed(q.declared);
    if (pending.length === 0) {
      this.pending = null;
      this.waiting = null;
    }
    return q;
  }

  /** Every query handed here has left `pending` (see take). */
  private emit(q: Pending | null, r: Pending | null, flags: string[]): void {
    const first = (q ?? r)!;
    const fromClient = first.dir === 0;
    const entry: EntryDraft = {
      protocol: 'dns',
      transport: this.ctx.transport,
      streamId: this.ctx.streamId,
      index: this.index++,
      src: fromClient === (q !== null) ? this.ctx.client : this.ctx.server,
      dst: fromClient === (q !== null) ? this.ctx.server : this.ctx.client,
      timestampUs: first.tsUs,
      elapsedUs: q && r ? r.tsUs - q.tsUs : null,
      // The parsed messages themselves: each is in one entry only and no longer read here.
      request: q ? q.msg : null,
      response: r ? r.msg : null,
      requestSize: q?.size ?? 0,
      responseSize: r?.size ?? 0,
      flags: uniqueFlags(q?.flags ?? [], r?.flags ?? [], flags),
    };
    this.ctx.emit(entry);
  }
}

/** Same id, and the same first question when both carry one (ids alone collide across mDNS queries). */
function sameExchange(a: DnsMessage, b: DnsMessage): boolean {
  if (a.id !== b.id) return false;
  const qa = a.questions[0];
  const qb = b.questions[0];
  if (!qa || !qb) return true;
  // Names compare case-insensitively; an answer usually repeats the question's name exactly.
  return qa.type === qb.type && (qa.name === qb.name || qa.name.toLowerCase() === qb.name.toLowerCase());
}
