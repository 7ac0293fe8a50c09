import type { Direction, StreamDissector } from '../dissect/types.js';

const DATA = 0;
const GAP = 1;
const END = 2;
const NONE = -1;

/** A stream's events in the queue: the first and the last (NONE when it has none queued). */
export interface EventChain {
  firstEvent: number;
  lastEvent: number;
}

/**
 * Holds what the reassemblers produced during one vector until the dissect node runs:
 * reassembly and dissection are separate graph nodes. One queue serves every stream, each
 * stream's events linked in order through `next`, and the events are columns of typed
 * arrays rather than objects: a queue (and its array) per stream were two more objects for
 * each of the hundreds of thousands of flows a capture holds, for the collector to trace on
 * every full collection, and an event object and a fresh array per packet were garbage.
 *
 * The bytes are not copied: they are views into the vector's packets (valid until the
 * reader's next batch, after the graph has drained) or segments the reassembler copied out of
 * earlier packets and never writes again; the dissectors copy what they keep. Once every
 * queued event was replayed, the queue starts again from its first slot; `waitingChains`
 * names the streams a vector left events for, so that nothing can hold the queue open.
 */
export class StreamEventQueue<C extends EventChain> {
  private size = 0;
  /** Queued and not yet replayed. */
  private waiting = 0;
  private owners: Array<C | null> = [];
  private bytes: Array<Uint8Array | null> = [];
  private kinds = new Uint8Array(64);
  private dirs = new Uint8Array(64);
  private gapLengths = new Float64Array(64);
  private times = new Float64Array(64);
  private next = new Int32Array(64);

  data(chain: C, dir: Direction, bytes: Uint8Array, tsUs: number): void {
    this.push(chain, DATA, dir, bytes, 0, tsUs);
  }

  gap(chain: C, dir: Direction, length: number, tsUs: number): void {
    this.push(chain, GAP, dir, null, length, tsUs);
  }

  end(chain: C, tsUs: number): void {
    this.push(chain, END, 0, null, 0, tsUs);
  }

  /** The streams with events still queued (none once each stream of the vector was drained). */
  waitingChains(): C[] {
    const chains: C[] = [];
    if (this.waiting === 0) return chains;
    for (let e = 0; e < this.size; e++) {
      const owner = this.owners[e];
      if (owner !== null && owner.firstEvent === e) chains.push(owner);
    }
    return chains;
  }

  /** Events the stream has queued (for trace lines). */
  queued(chain: C): number {
    let n = 0;
    for (let e = chain.firstEvent; e !== NONE; e = this.next[e]) n++;
    return n;
  }

  /** Replays the stream's queued events, in order, into its dissector. Returns the bytes replayed. */
  drainInto(chain: C, target: StreamDissector): number {
    let e = chain.firstEvent;
    chain.firstEvent = NONE;
    chain.lastEvent = NONE;
    let replayed = 0;
    while (e !== NONE) {
      const kind = this.kinds[e];
      const data = this.bytes[e];
      this.owners[e] = null;
      this.waiting--;
      if (kind === DATA) {
        this.bytes[e] = null;
        replayed += data!.length;
        target.data(this.dirs[e] as Direction, data!, this.times[e]);
      } else if (kind === GAP) target.gap(this.dirs[e] as Direction, this.gapLengths[e], this.times[e]);
      else target.end(this.times[e]);
      e = this.next[e];
    }
    if (this.waiting === 0) this.size = 0;
    return replayed;
  }

  private push(
    chain: C,
    kind: number,
    dir: Direction,
    bytes: Uint8Array | null,
    gapLength: number,
    tsUs: number,
  ): void {
    if (this.size === this.kinds.length) this.grow();
    const e = this.size++;
    this.waiting++;
    this.owners[e] = chain;
    this.kinds[e] = kind;
    this.dirs[e] = dir;
    this.bytes[e] = bytes;
    this.gapLengths[e] = gapLength;
    this.times[e] = tsUs;
    this.next[e] = NONE;
    if (chain.lastEvent === NONE) chain.firstEvent = e;
    else this.next[chain.lastEvent] = e;
    chain.lastEvent = e;
  }

  private grow(): void {
    const capacity = this.kinds.length * 2;
    this.kinds = grown(this.kinds, new Uint8Array(capacity));
    this.dirs = grown(this.dirs, new Uint8Array(capacity));
    this.gapLengths = grown(this.gapLengths, new Float64Array(capacity));
    this.times = grown(this.times, new Float64Array(capacity));
    this.next = grown(this.next, new Int32Array(capacity));
  }
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
