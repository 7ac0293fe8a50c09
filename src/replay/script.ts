import type { Endpoint } from '../dissect/entry.js';
import type { Direction, StreamDissector } from '../dissect/types.js';

/** One piece of what a side sent: bytes, or a run of bytes the capture lost (its length). */
export type StreamPart = Uint8Array | number;

/** One client turn: the client bytes between two server answers (for UDP: one datagram). */
export interface ReplayMessage {
  bytes: Uint8Array;
  /** Capture time (µs since the epoch) of the turn's first byte: what original pacing follows. */
  tsUs: number;
  /** Server bytes (lost ones included) that answered it in the capture, before the next turn. */
  responseBytes: number;
  /** Client bytes of this turn the capture lost; only with allowGaps (they are not sent). */
  gapBytes: number;
  /** The answer itself, kept only when the script was read for --compare. */
  response: StreamPart[] | null;
}

export interface StreamGap {
  dir: Direction;
  /** Offset of the first missing byte in that direction's stream. */
  offset: number;
  length: number;
}

/** Everything a replay needs from one captured stream. */
export interface ReplayScript {
  transport: 'tcp' | 'udp';
  /** The flow-table id (the streamId `meshtap entries` prints). */
  streamId: number;
  /** The original endpoints, for the report only: a replay never sends to them. */
  client: Endpoint;
  server: Endpoint;
  /** Server bytes sent before the client's first message (a greeting), awaited before it. */
  greetingBytes: number;
  greeting: StreamPart[] | null;
  messages: ReplayMessage[];
  gaps: StreamGap[];
  /** Set when the capture file was damaged after some packets (the script holds what came before). */
  captureError: string | null;
}

export interface RecorderLimits {
  /** Most bytes kept (client payload, plus server payload when responses are kept). */
  maxStreamBytes: number;
  maxMessages: number;
}

export const DEFAULT_RECORDER_LIMITS: RecorderLimits = { maxStreamBytes: 64 << 20, maxMessages: 1 << 20 };

/**
 * Turns a stream's in-order events into client turns: client bytes are gathered until the
 * server answers, and the server's bytes are counted (and kept for --compare) against the
 * turn they answer. It is a StreamDissector so the ordinary flow pipeline drives it; like
 * every dissector it never throws — limits and gaps are recorded and judged by the caller.
 */
export class TurnRecorder implements StreamDissector {
  readonly messages: ReplayMessage[] = [];
  readonly gaps: StreamGap[] = [];
  greetingBytes = 0;
  readonly greeting: StreamPart[] | null;
  ended = false;
  /** Set when a limit was passed; recording stopped there. */
  overflow = false;
  private parts: Uint8Array[] = [];
  private current: ReplayMessage | null = null;
  private keptBytes = 0;
  private readonly offsets: [number, number] = [0, 0];

  constructor(
    private readonly datagrams: boolean,
    private readonly keepResponses: boolean,
    private readonly limits: RecorderLimits = DEFAULT_RECORDER_LIMITS,
  ) {
    this.greeting = keepResponses ? [] : null;
  }

  data(dir: Direction, bytes: Uint8Array, tsUs: number): void {
    if (this.overflow || this.ended) return;
    this.offsets[dir] += bytes.length;
    if (dir === 1) return this.answer(bytes, bytes.length);
    const message = this.turnFor(tsUs);
    if (message !== null && this.keep(bytes.length)) this.parts.push(copy(bytes));
  }

  gap(dir: Direction, length: number, tsUs: number): void {
    if (this.overflow || this.ended) return;
    this.gaps.push({ dir, offset: this.offsets[dir], length });
    this.offsets[dir] += length;
    if (dir === 1) return this.answer(length, length);
    const message = this.turnFor(tsUs);
    if (message !== null) message.gapBytes += length;
  }

  end(): void {
    if (this.ended) return;
    this.closeTurn();
    this.ended = true;
  }

  /** The message client bytes at this moment belong to: the open one, or a new turn after an answer. */
  private turnFor(tsUs: number): ReplayMessage | null {
    const open = this.current;
    if (open !== null && open.responseBytes === 0 && !this.datagrams) return open;
    this.closeTurn();
    if (this.messages.length >= this.limits.maxMessages) {
      this.overflow = true;
      return null;
    }
    const message: ReplayMessage = {
      bytes: new Uint8Array(0),
      tsUs,
      responseBytes: 0,
      gapBytes: 0,
      response: this.keepResponses ? [] : null,
    };
    this.messages.push(message);
    this.current = message;
    return message;
  }

  /** Server bytes (or a lost run of them): they answer the open turn, or greet before the first. */
  private answer(part: StreamPart, length: number): void {
    const target = this.current;
    if (target === null) this.greetingBytes += length;
    else target.responseBytes += length;
    const kept = target === null ? this.greeting : target.response;
    if (kept === null) return;
    if (typeof part === 'number') kept.push(part);
    else if (this.keep(part.length)) kept.push(copy(part));
  }

  private closeTurn(): void {
    if (this.current === null) return;
    this.current.bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    this.parts = [];
    this.current = null;
  }

  private keep(n: number): boolean {
    this.keptBytes += n;
    if (this.keptBytes > this.limits.maxStreamBytes) this.overflow = true;
    return !this.overflow;
  }
}

/** A copy (a Buffer's own slice() would be a view into memory the caller reuses). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
