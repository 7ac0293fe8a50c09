import type { Direction, StreamDissector } from '../dissect/types.js';

interface StreamEvent {
  dir: Direction;
  /** The delivered bytes for data events; null for gap and end events. */
  bytes: Uint8Array | null;
  gapLength: number;
  isEnd: boolean;
  tsUs: number;
}

/**
 * Holds what a flow's reassembler produced during one vector until the dissect node runs:
 * reassembly and dissection are separate graph nodes. Drained every vector, so it stays
 * small, and so it holds the bytes without copying them: they are views into the vector's
 * packets (valid until the reader's next batch, after the graph has drained) or segments the
 * reassembler copied out of earlier packets and never writes again. (A copy here was an
 * allocation per segment and datagram; the dissectors copy what they keep.)
 */
export class StreamEventQueue implements StreamDissector {
  private events: StreamEvent[] = [];

  get size(): number {
    return this.events.length;
  }

  data(dir: Direction, bytes: Uint8Array, tsUs: number): void {
    this.events.push({ dir, bytes, gapLength: 0, isEnd: false, tsUs });
  }

  gap(dir: Direction, length: number, tsUs: number): void {
    this.events.push({ dir, bytes: null, gapLength: length, isEnd: false, tsUs });
  }

  end(tsUs: number): void {
    this.events.push({ dir: 0, bytes: null, gapLength: 0, isEnd: true, tsUs });
  }

  /** Replays the queued events, in order, into the stream's dissector. Returns the bytes replayed. */
  drainInto(target: StreamDissector): number {
    const events = this.events;
    this.events = [];
    let bytes = 0;
    for (const e of events) {
      if (e.bytes !== null) {
        bytes += e.bytes.length;
        target.data(e.dir, e.bytes, e.tsUs);
      } else if (e.isEnd) target.end(e.tsUs);
      else target.gap(e.dir, e.gapLength, e.tsUs);
    }
    return bytes;
  }
}
