import type { Direction } from '../../../src/dissect/types.js';
import type { StreamSink } from '../../../src/flow/tcp-reassembly.js';

export type SinkEvent =
  | { kind: 'data'; dir: Direction; bytes: Buffer }
  | { kind: 'gap'; dir: Direction; length: number }
  | { kind: 'end' };

/** A sink that copies everything it is given, for assertions. */
export class RecordingSink implements StreamSink {
  readonly events: SinkEvent[] = [];
  readonly chunks: [Buffer[], Buffer[]] = [[], []];
  readonly gaps: [number[], number[]] = [[], []];
  ended = 0;

  data(dir: Direction, bytes: Uint8Array): void {
    const copy = Buffer.from(bytes);
    this.events.push({ kind: 'data', dir, bytes: copy });
    this.chunks[dir].push(copy);
  }

  gap(dir: Direction, length: number): void {
    this.events.push({ kind: 'gap', dir, length });
    this.gaps[dir].push(length);
  }

  end(): void {
    this.ended++;
    this.events.push({ kind: 'end' });
  }

  bytes(dir: Direction): Buffer {
    return Buffer.concat(this.chunks[dir]);
  }

  /** The direction's stream with each gap written as `fill` bytes of its length (to compare positions). */
  withGaps(dir: Direction, fill = 0): Buffer {
    const parts: Buffer[] = [];
    for (const e of this.events) {
      if (e.kind === 'data' && e.dir === dir) parts.push(e.bytes);
      if (e.kind === 'gap' && e.dir === dir) parts.push(Buffer.alloc(e.length, fill));
    }
    return Buffer.concat(parts);
  }
}
