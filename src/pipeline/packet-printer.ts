import { once } from 'node:events';
import type { CaptureWriter } from '../pcap/index.js';
import type { PacketConsumer } from '../graph/nodes/packet-output.js';
import type { GraphPacket } from '../graph/packet.js';
import type { Frame } from '../graph/frame.js';

export interface PrinterOptions {
  /** One packet's line of text or JSON; null when nothing is printed (-q, -w). */
  formatPacket: ((pkt: GraphPacket) => string) | null;
  /** Stop after this many packets (-c). */
  limit?: number;
  writer: CaptureWriter | null;
  out: NodeJS.WritableStream;
}

/**
 * Consumes decoded packets in capture order: prints them (text or JSON lines) and writes
 * them to the capture writer. Output for a vector is joined into one write, and `drain`
 * waits for the stream when it pushes back, so memory stays bounded on huge inputs.
 */
export class PacketPrinter implements PacketConsumer {
  consumed = 0;
  /** Packets printed or written go out in capture order; with neither (-q) they are only counted. */
  readonly needsOrder: boolean;
  private chunks: string[] = [];

  constructor(private readonly opts: PrinterOptions) {
    this.needsOrder = opts.formatPacket !== null || opts.writer !== null;
  }

  get done(): boolean {
    return this.opts.limit !== undefined && this.consumed >= this.opts.limit;
  }

  consume(frame: Frame): void {
    const limit = this.opts.limit;
    const count = limit === undefined ? frame.count : Math.min(frame.count, limit - this.consumed);
    if (count <= 0) return;
    this.consumed += count;
    const packets = frame.packets;
    this.opts.writer?.writeVector(packets, count);
    const format = this.opts.formatPacket;
    if (format === null) return;
    for (let i = 0; i < count; i++) this.chunks.push(format(packets[i]!));
  }

  async drain(): Promise<void> {
    if (this.chunks.length === 0) return;
    const text = this.chunks.join('\n') + '\n';
    this.chunks = [];
    if (!this.opts.out.write(text)) await once(this.opts.out, 'drain');
  }
}
