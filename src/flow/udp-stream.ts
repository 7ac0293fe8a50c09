import type { Direction } from '../dissect/types.js';
import type { StreamSink } from './tcp-reassembly.js';

/**
 * A datagram flow (UDP): no reassembly, each datagram is one data() call so message
 * boundaries survive. It exists so UDP flows drive a sink through the same shape as TCP.
 */
export class DatagramStream {
  private ended = false;

  constructor(private readonly sink: StreamSink) {}

  datagram(dir: Direction, payload: Uint8Array, tsUs: number): void {
    if (this.ended) return;
    this.sink.data(dir, payload, tsUs);
  }

  end(tsUs: number): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.end(tsUs);
  }
}
