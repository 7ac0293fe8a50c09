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
/**
 * The probes of a stream that has kept nothing: before its first wait, and once decided.
 * Probes are never written: a wait makes a new pair.
 */
const NO_PROBE: readonly [Uint8Array, Uint8Array] = [NO_BYTES, NO_BYTES];

/**
 * Candidate lists already ordered, per factory list, transport and which factories claim one
 * of the stream's ports (a bit a factory). A selector is made for every flow and most flows are
 * claimed by their first bytes, so its candidates are looked up, not built: three arrays a flow.
 * Bounded: 2^factories lists a transport at most, and only when there are few enough factories
 * for the bits to fit (else each selector orders its own).
 */
const orderedCandidates = new WeakMap<readonly DissectorFactory[], Map<string, DissectorFactory[][]>>();
const MAX_MEMO_FACTORIES = 8;

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
  /** What arrived before the choice, to replay to the chosen dissector; null while nothing waits. */
  private pending: Pending[] | null = null;
  private probe: readonly [Uint8Array, Uint8Array] = NO_PROBE;
  /** Released once the stream is decided, as are the probe and the pending list. */
  private candidates: readonly DissectorFactory[];

  constructor(
    factories: readonly DissectorFactory[],
    private readonly ctx: StreamContext,
    private readonly owner: SelectorOwner | null = null,
  ) {
    this.candidates = candidatesFor(factories, ctx);
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
    const first = this.pending === null;
    const probe = first ? prefix(bytes, MAX_PROBE_BYTES) : concat(this.probe[dir], bytes, MAX_PROBE_BYTES);
    const verdict = this.verdict(dir, probe);
    // 'yes' chose a dissector and replayed what waited for it: the new bytes follow.
    if (verdict === 'yes') return this.chosen!.data(dir, bytes, tsUs);
    (this.pending ??= []).push({ dir, bytes: bytes.slice(), gap: 0, tsUs });
    const kept = first ? probe.slice() : probe;
    this.probe = dir === 0 ? [kept, this.probe[1]] : [this.probe[0], kept];
    this.decide(dir, verdict);
  }

  gap(dir: Direction, length: number, tsUs: number): void {
    if (this.chosen) return this.chosen.gap(dir, length, tsUs);
    if (!this.unclaimed) (this.pending ??= []).push({ dir, bytes: null, gap: length, tsUs });
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
    for (const p of this.pending ?? []) {
      if (p.bytes) dissector.data(p.dir, p.bytes, p.tsUs);
      else dissector.gap(p.dir, p.gap, p.tsUs);
    }
    this.release();
    this.owner?.claimed(dissector, factory.name);
  }

  /** Lets go of what only the choice needed: a flow lives on long after its choice. */
  private release(): void {
    this.pending = null;
    this.probe = NO_PROBE;
    this.candidates = NO_CANDIDATES;
  }
}

/** The factories for `ctx`'s transport, the ones registered for one of its ports first, in registration order otherwise. */
function candidatesFor(
  factories: readonly DissectorFactory[],
  ctx: StreamContext,
): readonly DissectorFactory[] {
  const { serverPort, clientPort, transport } = ctx;
  const mask = portMask(factories, serverPort, clientPort);
  if (factories.length > MAX_MEMO_FACTORIES) return orderCandidates(factories, transport, mask);
  let byTransport = orderedCandidates.get(factories);
  if (byTransport === undefined) orderedCandidates.set(factories, (byTransport = new Map()));
  let byMask = byTransport.get(transport);
  if (byMask === undefined) byTransport.set(transport, (byMask = []));
  return (byMask[mask] ??= orderCandidates(factories, transport, mask));
}

/** A bit for each factory registered for `serverPort` or `clientPort`. */
function portMask(factories: readonly DissectorFactory[], serverPort: number, clientPort: number): number {
  let mask = 0;
  for (let i = 0; i < factories.length; i++) {
    const { ports } = factories[i]!;
    if (ports.includes(serverPort) || ports.includes(clientPort)) mask |= 1 << i;
  }
  return mask;
}

function orderCandidates(
  factories: readonly DissectorFactory[],
  transport: StreamContext['transport'],
  mask: number,
): DissectorFactory[] {
  const byPort: DissectorFactory[] = [];
  const byContent: DissectorFactory[] = [];
  for (let i = 0; i < factories.length; i++) {
    const f = factories[i]!;
    if (!f.transports.includes(transport)) continue;
    if ((mask & (1 << i)) !== 0) byPort.push(f);
    else byContent.push(f);
  }
  return byPort.concat(byContent);
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
