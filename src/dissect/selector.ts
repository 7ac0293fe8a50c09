import type { Detection, Direction, DissectorFactory, StreamContext, StreamDissector } from './types.js';

/** Bytes of each direction looked at before a stream is declared unclaimed. */
export const MAX_PROBE_BYTES = 4 << 10;
/** Bytes of one direction every candidate refused after which the stream is unclaimed. */
const NO_VERDICT_BYTES = 1024;

type Pending = { dir: Direction; bytes: Uint8Array | null; gap: number; tsUs: number };

/** Told when a dissector claims the stream, so that it can hand the stream's bytes to it directly. */
export interface SelectorOwner {
  claimed(dissector: StreamDissector, protocol: string): void;
}

/**
 * The probe of a direction that has shown nothing, shared: never written (concat makes new
 * arrays), and a `new Uint8Array(0)` is an ArrayBuffer of its own, kept by every flow.
 */
const NO_BYTES = new Uint8Array(0);
const NO_CANDIDATES: readonly DissectorFactory[] = [];
/** What a decided stream keeps instead of its probe and pending lists (never written once decided). */
const NO_PROBE: [Uint8Array, Uint8Array] = [NO_BYTES, NO_BYTES];
const NO_PENDING: Pending[] = [];

/**
 * Chooses the dissector of one stream and then forwards everything to it. Until a
 * dissector claims the stream, the first bytes of each direction are kept (bounded) and
 * offered to the candidates: the ones registered for the stream's ports first, then the
 * rest by content. Once one says 'yes', the kept bytes are replayed to it in their original
 * order. A stream nobody claims stops being buffered and is counted as unclaimed.
 */
export class ProtocolSelector implements StreamDissector {
  private chosen: StreamDissector | null = null;
  private chosenName: string | null = null;
  private unclaimed = false;
  private pending: Pending[] = [];
  private probe: [Uint8Array, Uint8Array] = [NO_BYTES, NO_BYTES];
  /** Released once the stream is decided, as are the probe and the pending list. */
  private candidates: readonly DissectorFactory[];

  constructor(
    factories: readonly DissectorFactory[],
    private readonly ctx: StreamContext,
    private readonly owner: SelectorOwner | null = null,
  ) {
    // One pass, without closures: a selector is made for every flow, and most flows are short.
    const byPort: DissectorFactory[] = [];
    const byContent: DissectorFactory[] = [];
    const { serverPort, clientPort, transport } = ctx;
    for (const f of factories) {
      if (!f.transports.includes(transport)) continue;
      if (f.ports.includes(serverPort) || f.ports.includes(clientPort)) byPort.push(f);
      else byContent.push(f);
    }
    this.candidates = byPort.concat(byContent);
  }

  /** The protocol chosen, 'unclaimed', or null while still deciding. */
  get protocol(): string | null {
    return this.chosenName ?? (this.unclaimed ? 'unclaimed' : null);
  }

  data(dir: Direction, bytes: Uint8Array, tsUs: number): void {
    if (this.chosen) return this.chosen.data(dir, bytes, tsUs);
    if (this.unclaimed) return;
    // Most streams are claimed by their first bytes (a DNS query, a request line): those are
    // offered as they are and, once claimed, go straight to the dissector. Copies are made
    // only to wait for more (the input is a transient view).
    const first = this.pending.length === 0;
    const probe = first ? prefix(bytes, MAX_PROBE_BYTES) : concat(this.probe[dir], bytes, MAX_PROBE_BYTES);
    const verdict = this.verdict(dir, probe);
    // 'yes' chose a dissector and replayed what waited for it: the new bytes follow.
    if (verdict === 'yes') return this.chosen!.data(dir, bytes, tsUs);
    this.pending.push({ dir, bytes: bytes.slice(), gap: 0, tsUs });
    this.probe[dir] = first ? probe.slice() : probe;
    this.decide(dir, verdict);
  }

  gap(dir: Direction, length: number, tsUs: number): void {
    if (this.chosen) return this.chosen.gap(dir, length, tsUs);
    if (!this.unclaimed) this.pending.push({ dir, bytes: null, gap: length, tsUs });
  }

  end(tsUs: number): void {
    this.chosen?.end(tsUs);
  }

  /** After `verdict` (not 'yes') on this direction's probe, which holds the new bytes now. */
  private decide(dir: Direction, verdict: Detection): void {
    if (verdict === 'need-more' && this.probe[dir].length < MAX_PROBE_BYTES) return;
    // Every candidate refused this direction: give up once the other direction was refused
    // too, or once this one has shown enough bytes that waiting for the other is pointless.
    const other: Direction = dir === 0 ? 1 : 0;
    const otherRefused = this.probe[other].length > 0 && this.verdict(other, this.probe[other]) === 'no';
    if (otherRefused || this.probe[dir].length >= NO_VERDICT_BYTES) this.giveUp();
  }

  /** 'yes' chooses the first candidate that says so; otherwise 'need-more' if any still hopes. */
  private verdict(dir: Direction, probe: Uint8Array): Detection {
    let waiting = false;
    for (const factory of this.candidates) {
      const verdict = factory.detect(dir, probe);
      if (verdict === 'yes') {
        this.choose(factory);
        return 'yes';
      }
      if (verdict === 'need-more') waiting = true;
    }
    return waiting ? 'need-more' : 'no';
  }

  private giveUp(): void {
    this.unclaimed = true;
    this.release();
  }

  private choose(factory: DissectorFactory): void {
    const dissector = factory.create(this.ctx);
    this.chosen = dissector;
    this.chosenName = factory.name;
    for (const p of this.pending) {
      if (p.bytes) dissector.data(p.dir, p.bytes, p.tsUs);
      else dissector.gap(p.dir, p.gap, p.tsUs);
    }
    this.release();
    this.owner?.claimed(dissector, factory.name);
  }

  /** Lets go of what only the choice needed: a flow lives on long after its choice. */
  private release(): void {
    this.pending = NO_PENDING;
    this.probe = NO_PROBE;
    this.candidates = NO_CANDIDATES;
  }
}

/** The first `limit` bytes of `b`, as a view. */
function prefix(b: Uint8Array, limit: number): Uint8Array {
  return b.length <= limit ? b : b.subarray(0, limit);
}

function concat(a: Uint8Array, b: Uint8Array, limit: number): Uint8Array {
  if (a.length >= limit) return a;
  const take = Math.min(b.length, limit - a.length);
  const out = new Uint8Array(a.length + take);
  out.set(a, 0);
  out.set(b.subarray(0, take), a.length);
  return out;
}
