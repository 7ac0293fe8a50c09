import type { ByteMeter, DissectLimits } from '../types.js';
import type { WaitingExchanges } from '../util/waiting-exchanges.js';
import { GrpcMessageReader, type GrpcMessageLimits } from '../grpc/messages.js';
import { BodyCollector } from '../util/body-collector.js';
import type { HeaderField } from './hpack/decoder.js';

/** What one side (request or response) of an HTTP/2 stream sent. */
export class StreamSide {
  headers: HeaderField[] | null = null;
  trailers: HeaderField[] | null = null;
  /** 1xx statuses before the final response. */
  informational: string[] = [];
  readonly body: BodyCollector;
  /** Set once the stream is known to carry gRPC; DATA then goes here instead of `body`. */
  grpc: GrpcMessageReader | null = null;
  ended = false;
  /** Frame bytes on the wire (9-byte headers included) of HEADERS, CONTINUATION and DATA. */
  size = 0;
  firstTsUs = -1;
  lastTsUs = -1;

  constructor(
    limits: DissectLimits,
    private readonly meter: ByteMeter,
  ) {
    this.body = new BodyCollector(limits.maxBodyBytes, meter, limits.bodyText);
  }

  /** Counts a frame of this side. */
  touch(frameBytes: number, tsUs: number): void {
    this.size += frameBytes;
    if (this.firstTsUs < 0) this.firstTsUs = tsUs;
    this.lastTsUs = tsUs;
  }

  startGrpc(limits: GrpcMessageLimits): void {
    if (this.grpc === null) this.grpc = new GrpcMessageReader(limits, this.meter);
  }

  /** The side is in its entry: its copies go. */
  release(): void {
    this.body.release();
    this.grpc?.release();
  }
}

/** One HTTP/2 stream: one exchange, one entry. */
export class H2Stream {
  readonly request: StreamSide;
  readonly response: StreamSide;
  readonly flags = new Set<string>();
  /** content-type application/grpc* on either side. */
  grpc = false;
  resetCode: string | null = null;
  /** An HTTP/1.1 request that was upgraded to h2c (stream 1), emitted as given. */
  upgradeRequest: Record<string, unknown> | null = null;
  /** Opened by the server's PUSH_PROMISE; the request is the promised header block. */
  pushed = false;
  /** What the header blocks decoded into this stream were declared to cost, until release. */
  private declared = 0;

  constructor(
    readonly id: number,
    readonly index: number,
    limits: DissectLimits,
    private readonly waiting: WaitingExchanges,
  ) {
    this.request = new StreamSide(limits, waiting.meter);
    this.response = new StreamSide(limits, waiting.meter);
    waiting.opened();
  }

  headersParsed(blockBytes: number): void {
    this.declared += this.waiting.parsed(blockBytes);
  }

  /** The stream is in its entry: it stops waiting, and what it kept is no longer declared. */
  release(): void {
    this.waiting.closed(this.declared);
    this.declared = 0;
    this.request.release();
    this.response.release();
  }

  side(fromServer: boolean): StreamSide {
    return fromServer ? this.response : this.request;
  }

  get done(): boolean {
    return this.request.ended && this.response.ended;
  }
}

export function headerValue(fields: readonly HeaderField[] | null, name: string): string | undefined {
  if (fields === null) return undefined;
  for (const f of fields) if (f.name === name) return f.value;
  return undefined;
}
