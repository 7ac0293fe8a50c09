import { once } from 'node:events';
import { formatPacketLine } from '../decode/summary.js';
import { layersToJson } from '../decode/describe.js';
import { formatCaptureTime } from '../graph/nodes/input-node.js';
import type { CaptureWriter } from '../pcap/index.js';
import type { PacketConsumer } from '../graph/nodes/packet-output.js';
import type { GraphPacket } from '../graph/packet.js';
import type { Frame } from '../graph/frame.js';

export type ReadOutputFormat = 'text' | 'json';

export interface PrinterOptions {
  format: ReadOutputFormat;
  /** Print one line/object per packet (false with -q or -w). */
  print: boolean;
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
  private chunks: string[] = [];

  constructor(private readonly opts: PrinterOptions) {}

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
    if (!this.opts.print) return;
    for (let i = 0; i < count; i++) {
      const pkt = packets[i]!;
      if (this.opts.format === 'json') this.chunks.push(JSON.stringify(packetToJson(pkt)));
      else this.chunks.push(formatPacketLine(pkt, pkt.layers));
    }
  }

  async drain(): Promise<void> {
    if (this.chunks.length === 0) return;
    const text = this.chunks.join('\n') + '\n';
    this.chunks = [];
    if (!this.opts.out.write(text)) await once(this.opts.out, 'drain');
  }
}

/** One `read --format json` object: the frame's capture metadata and its decoded layers. */
export function packetToJson(pkt: GraphPacket): Record<string, unknown> {
  return {
    frame: pkt.seq + 1,
    time: formatCaptureTime(pkt.tsSec, pkt.tsNsec),
    caplen: pkt.data.length,
    len: pkt.origLen,
    linkType: pkt.linkType,
    interface: pkt.interfaceId,
    ...(pkt.comments ? { comments: pkt.comments } : {}),
    layers: layersToJson(pkt.layers, pkt.data),
  };
}
