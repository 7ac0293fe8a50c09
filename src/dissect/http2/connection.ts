import type { Direction, StreamContext, StreamDissector } from '../types.js';
import type { GrpcSchemaDecoder } from '../grpc/schema.js';
import { errorCodeName, Flag, FRAME_HEADER_LENGTH, FrameType, Setting } from './constants.js';
import { buildEntry } from './entry-build.js';
import { FrameReader, type FrameHeader, type FrameSink } from './frame-reader.js';
import {
  appendFragment,
  blockBytes,
  dropFragments,
  fragmentBounds,
  newPendingBlock,
  type PendingBlock,
} from './header-block.js';
import { HpackDecoder, type HeaderField, type HpackResult } from './hpack/decoder.js';
import { H2Stream, headerValue } from './stream.js';
import { WaitingExchanges, type ExchangeCost } from '../util/waiting-exchanges.js';

export interface Http2Options {
  /** Decodes gRPC messages by name from user .proto files; raw protobuf without it. */
  grpcDecoder?: GrpcSchemaDecoder;
  /** gRPC messages kept per call direction (more are counted). */
  maxGrpcMessages?: number;
}

export interface UpgradeRequest {
  request: Record<string, unknown>;
  timestampUs: number;
  requestSize: number;
  /** Entry index the upgraded exchange takes (HTTP/1 exchanges before it used the lower ones). */
  nextIndex?: number;
}

/**
 * Heap snapshots of 20,000 open streams: ~1,050 B a GET stream, ~1,500 B a gRPC call with a
 * message in progress, ~3.9 B a header block byte (docs/entries.md).
 */
const STREAM_COST: ExchangeCost = { perExchange: 1536, perParsedByte: 4 };

/** Non-header frames we buffer at most (SETTINGS, GOAWAY debug data, ...). */
const MAX_CONTROL_FRAME = 64 << 10;
/** Stream ids remembered after their entry was emitted, so late frames don't open phantom streams. */
const MAX_CLOSED_REMEMBERED = 1024;

/** Adapts one direction's FrameReader callbacks to the connection. */
class DirectionSink implements FrameSink {
  constructor(
    private readonly conn: Http2Connection,
    private readonly dir: Direction,
  ) {}
  frame(header: FrameHeader, payload: Uint8Array): void {
    this.conn.onFrame(this.dir, header, payload);
  }
  oversized(header: FrameHeader): void {
    this.conn.onOversized(this.dir, header);
  }
  data(header: FrameHeader, bytes: Uint8Array): void {
    this.conn.onData(this.dir, header, bytes);
  }
  dataEnd(header: FrameHeader, tsUs: number): void {
    this.conn.onDataEnd(this.dir, header, tsUs);
  }
  anomaly(name: string): void {
    this.conn.ctx.anomaly(name);
  }
}

/** One HTTP/2 connection (h2c prior knowledge, mid-connection pickup, or after an HTTP/1.1 upgrade). */
export class Http2Connection implements StreamDissector {
  private readonly readers: [FrameReader, FrameReader];
  private readonly hpack: [HpackDecoder | null, HpackDecoder | null] = [null, null];
  private readonly pending: [PendingBlock | null, PendingBlock | null] = [null, null];
  /** Each direction's HPACK table size (RFC 7541 §4.1) as last declared to the stream's meter. */
  private readonly tableHeld: [number, number] = [0, 0];
  private readonly streams = new Map<number, H2Stream>();
  private readonly closed = new Set<number>();
  private nextIndex = 0;
  private goawayLastId = -1;
  private readonly grpcLimits;
  /** What the open streams cost, declared to the stream's meter. */
  private readonly waiting: WaitingExchanges;

  constructor(
    readonly ctx: StreamContext,
    private readonly options: Http2Options = {},
    upgrade?: UpgradeRequest,
  ) {
    this.waiting = new WaitingExchanges(ctx, STREAM_COST);
    const maxBuffered = (type: number): number =>
      type === FrameType.HEADERS || type === FrameType.CONTINUATION || type === FrameType.PUSH_PROMISE
        ? ctx.limits.maxHeaderBytes
        : MAX_CONTROL_FRAME;
    this.readers = [
      new FrameReader(new DirectionSink(this, 0), true, maxBuffered, ctx),
      new FrameReader(new DirectionSink(this, 1), false, maxBuffered, ctx),
    ];
    this.grpcLimits = {
      maxMessages: options.maxGrpcMessages ?? 64,
      maxMessageBytes: ctx.limits.maxBodyBytes,
    };
    if (upgrade !== undefined) this.openUpgraded(upgrade);
  }

  data(dir: Direction, bytes: Uint8Array, tsUs: number): void {
    this.readers[dir].push(bytes, tsUs);
    this.declareTable(dir);
  }

  gap(dir: Direction, length: number, _tsUs: number): void {
    const reader = this.readers[dir];
    const streamId = reader.streamId;
    const inside = reader.inPayload;
    if (reader.skip(length)) {
      const stream = inside ? this.streams.get(streamId) : undefined;
      if (stream !== undefined) this.skipData(stream, dir, length);
      return;
    }
    this.ctx.anomaly('http2.gap_lost_framing');
    this.hpack[dir]?.lose();
    this.declareTable(dir);
    this.setPending(dir, null);
    for (const stream of this.streams.values()) stream.flags.add('gap');
  }

  end(_tsUs: number): void {
    for (const dir of [0, 1] as const) {
      if (this.pending[dir] !== null) this.ctx.anomaly('http2.unfinished_header_block');
      this.setPending(dir, null);
      this.readers[dir].dropPartial();
      this.hpack[dir]?.lose();
      this.declareTable(dir);
    }
    for (const stream of [...this.streams.values()]) this.finish(stream);
  }

  onFrame(dir: Direction, header: FrameHeader, payload: Uint8Array): void {
    if (this.pending[dir] !== null && header.type !== FrameType.CONTINUATION)
      this.abandonBlock(dir, 'http2.missing_continuation');
    this.decoderFor(dir, header);
    switch (header.type) {
      case FrameType.HEADERS:
      case FrameType.PUSH_PROMISE:
        return this.startBlock(dir, header, payload);
      case FrameType.CONTINUATION:
        return this.continueBlock(dir, header, payload);
      case FrameType.RST_STREAM:
        return this.onReset(header, payload);
      case FrameType.SETTINGS:
        return this.onSettings(dir, header, payload);
      case FrameType.GOAWAY:
        return this.onGoaway(dir, payload);
      default:
        // PRIORITY, PING, WINDOW_UPDATE carry nothing an entry shows; unknown types are skipped (§4.1).
        return;
    }
  }

  onOversized(dir: Direction, header: FrameHeader): void {
    this.decoderFor(dir, header);
    if (header.type === FrameType.HEADERS || header.type === FrameType.PUSH_PROMISE) {
      this.ctx.anomaly('http2.header_block_too_large');
      this.setPending(dir, { ...newPendingBlock(header, 0), overflow: true });
      if (header.flags & Flag.END_HEADERS) this.finishBlock(dir, header);
    } else if (header.type === FrameType.CONTINUATION && this.pending[dir] !== null) {
      appendFragment(this.pending[dir] as PendingBlock, null, 0, this.ctx);
      if (header.flags & Flag.END_HEADERS) this.finishBlock(dir, header);
    } else {
      this.ctx.anomaly('http2.frame_too_large');
    }
  }

  onData(dir: Direction, header: FrameHeader, bytes: Uint8Array): void {
    const stream = this.streamFor(header.streamId, dir === 0);
    if (stream === undefined) return;
    const side = stream.side(dir === 1);
    if (stream.grpc) side.startGrpc(this.grpcLimits);
    if (side.grpc !== null) side.grpc.push(bytes);
    else side.body.add(bytes);
  }

  onDataEnd(dir: Direction, header: FrameHeader, tsUs: number): void {
    const stream = this.streamFor(header.streamId, dir === 0);
    if (stream === undefined) return;
    const side = stream.side(dir === 1);
    side.touch(FRAME_HEADER_LENGTH + header.length, tsUs);
    if (header.flags & Flag.END_STREAM) this.endSide(stream, dir);
  }

  /** HPACK contexts start "synced" only when we saw where they start: the client preface, the server's first SETTINGS. */
  private decoderFor(dir: Direction, header: FrameHeader): HpackDecoder {
    let decoder = this.hpack[dir];
    if (decoder === null) {
      const synced =
        dir === 0
          ? this.readers[0].prefaceSeen
          : header.type === FrameType.SETTINGS && (header.flags & Flag.ACK) === 0;
      const limits = {
        maxTableSize: this.ctx.limits.maxHeaderBytes,
        maxHeaderListSize: this.ctx.limits.maxHeaderBytes,
      };
      decoder = new HpackDecoder(limits, synced);
      this.hpack[dir] = decoder;
    }
    return decoder;
  }

  private startBlock(dir: Direction, header: FrameHeader, payload: Uint8Array): void {
    const bounds = fragmentBounds(header, payload);
    if (bounds === null) this.ctx.anomaly('http2.bad_header_frame');
    const block = newPendingBlock(header, bounds?.promisedId ?? 0);
    this.setPending(dir, block);
    const fragment = bounds === null ? null : payload.subarray(bounds.start, bounds.end);
    if (header.flags & Flag.END_HEADERS && fragment !== null) {
      // The common case: the whole block in one frame, decoded straight from the input view.
      block.chunks.push(fragment);
      block.size = fragment.length;
    } else {
      appendFragment(block, fragment, this.ctx.limits.maxHeaderBytes, this.ctx);
    }
    this.touchHeaderFrame(dir, block, header);
    if (header.flags & Flag.END_HEADERS) this.finishBlock(dir, header);
  }

  private continueBlock(dir: Direction, header: FrameHeader, payload: Uint8Array): void {
    const block = this.pending[dir];
    if (block === null || block.streamId !== header.streamId) {
      this.abandonBlock(dir, 'http2.unexpected_continuation');
      return;
    }
    appendFragment(block, payload, this.ctx.limits.maxHeaderBytes, this.ctx);
    this.touchHeaderFrame(dir, block, header);
    if (header.flags & Flag.END_HEADERS) this.finishBlock(dir, header);
  }

  private touchHeaderFrame(dir: Direction, block: PendingBlock, header: FrameHeader): void {
    if (block.promisedId !== 0) return;
    this.streamFor(block.streamId, dir === 0)
      ?.side(dir === 1)
      .touch(FRAME_HEADER_LENGTH + header.length, header.tsUs);
  }

  private abandonBlock(dir: Direction, anomaly: string): void {
    this.ctx.anomaly(anomaly);
    this.hpack[dir]?.lose();
    const block = this.pending[dir];
    if (block !== null) this.streams.get(block.streamId)?.flags.add('header_block_undecodable');
    this.setPending(dir, null);
  }

  /** A new block (or none) takes the direction's place; the copies of the one it replaces go. */
  private setPending(dir: Direction, block: PendingBlock | null): void {
    const old = this.pending[dir];
    if (old !== null) dropFragments(old, this.ctx);
    this.pending[dir] = block;
  }

  /** The table grows and shrinks as blocks are decoded or contexts lost: its size is what it keeps. */
  private declareTable(dir: Direction): void {
    const size = this.hpack[dir]?.table.size ?? 0;
    if (size === this.tableHeld[dir]) return;
    this.ctx.hold(size - this.tableHeld[dir]);
    this.tableHeld[dir] = size;
  }

  private finishBlock(dir: Direction, header: FrameHeader): void {
    const block = this.pending[dir] as PendingBlock;
    const decoder = this.decoderFor(dir, header);
    const fields: HeaderField[] = [];
    let result: HpackResult | null = null;
    if (block.overflow) decoder.lose();
    else {
      const bytes = blockBytes(block);
      result = decoder.decode(bytes, 0, bytes.length, fields);
      if (result.anomaly !== null) this.ctx.anomaly(result.anomaly);
    }
    this.setPending(dir, null);
    if (block.promisedId !== 0) this.onPushPromise(block, fields, result, header.tsUs);
    else this.onHeaders(dir, block, fields, result);
  }

  private onHeaders(
    dir: Direction,
    block: PendingBlock,
    fields: HeaderField[],
    result: HpackResult | null,
  ): void {
    const stream = this.streamFor(block.streamId, dir === 0);
    if (stream === undefined) return;
    markDecodeResult(stream, result);
    const side = stream.side(dir === 1);
    if (result === null) {
      // Too large to decode: no headers rather than an empty list that would read as real.
      if (block.endStream) this.endSide(stream, dir);
      return;
    }
    const status = headerValue(fields, ':status');
    if (
      dir === 1 &&
      side.headers === null &&
      status !== undefined &&
      status.length === 3 &&
      status[0] === '1'
    ) {
      side.informational.push(status);
    } else if (side.headers === null) {
      side.headers = fields;
      stream.headersParsed(block.size);
      if (isGrpc(fields)) stream.grpc = true;
    } else {
      side.trailers = fields;
      stream.headersParsed(block.size);
    }
    if (block.endStream) this.endSide(stream, dir);
  }

  private onPushPromise(
    block: PendingBlock,
    fields: HeaderField[],
    result: HpackResult | null,
    tsUs: number,
  ): void {
    if (this.streams.has(block.promisedId) || this.closed.has(block.promisedId)) return;
    const stream = this.open(block.promisedId);
    stream.pushed = true;
    markDecodeResult(stream, result);
    stream.request.headers = fields;
    stream.headersParsed(block.size);
    stream.request.ended = true;
    stream.request.touch(0, tsUs);
    if (isGrpc(fields)) stream.grpc = true;
  }

  private onReset(header: FrameHeader, payload: Uint8Array): void {
    const stream = this.streams.get(header.streamId);
    if (stream === undefined || payload.length !== 4) return;
    stream.resetCode = errorCodeName(readUint32(payload, 0));
    stream.flags.add('reset');
    this.finish(stream);
  }

  private onSettings(dir: Direction, header: FrameHeader, payload: Uint8Array): void {
    if (header.flags & Flag.ACK || header.streamId !== 0) return;
    if (payload.length % 6 !== 0) this.ctx.anomaly('http2.bad_settings');
    for (let at = 0; at + 6 <= payload.length; at += 6) {
      const id = (payload[at] << 8) | payload[at + 1];
      // The sender's limit binds the encoder of the other direction.
      if (id === Setting.HEADER_TABLE_SIZE)
        this.decoderFor((1 - dir) as Direction, header).setSettingsLimit(readUint32(payload, at + 2));
    }
  }

  private onGoaway(dir: Direction, payload: Uint8Array): void {
    if (payload.length < 8) return this.ctx.anomaly('http2.bad_goaway');
    this.goawayLastId = readUint32(payload, 0) & 0x7fffffff;
    // Streams the GOAWAY's receiver opened above last-stream-id were never processed.
    const receiverParity = dir === 1 ? 1 : 0;
    for (const stream of this.streams.values()) {
      if (stream.id > this.goawayLastId && stream.id % 2 === receiverParity) stream.flags.add('goaway');
    }
  }

  private streamFor(id: number, fromClient: boolean): H2Stream | undefined {
    if (id === 0) return undefined;
    const existing = this.streams.get(id);
    if (existing !== undefined || this.closed.has(id)) return existing;
    const stream = this.open(id);
    if (!fromClient) stream.flags.add('no_request');
    if (this.goawayLastId >= 0 && id > this.goawayLastId) stream.flags.add('goaway');
    return stream;
  }

  private open(id: number): H2Stream {
    if (this.streams.size >= this.ctx.limits.maxPendingExchanges) {
      const oldest = this.streams.values().next().value as H2Stream;
      oldest.flags.add('evicted');
      this.finish(oldest);
    }
    const stream = new H2Stream(id, this.nextIndex++, this.ctx.limits, this.waiting);
    this.streams.set(id, stream);
    return stream;
  }

  private openUpgraded(upgrade: UpgradeRequest): void {
    if (upgrade.nextIndex !== undefined) this.nextIndex = upgrade.nextIndex;
    const stream = this.open(1);
    stream.upgradeRequest = upgrade.request;
    stream.request.ended = true;
    stream.request.size = upgrade.requestSize;
    stream.request.firstTsUs = upgrade.timestampUs;
    stream.request.lastTsUs = upgrade.timestampUs;
  }

  private endSide(stream: H2Stream, dir: Direction): void {
    const side = stream.side(dir === 1);
    side.ended = true;
    if (side.grpc !== null && !side.grpc.finish()) stream.flags.add('grpc_message_incomplete');
    if (stream.done) this.finish(stream);
  }

  private skipData(stream: H2Stream, dir: Direction, length: number): void {
    stream.flags.add('gap');
    const side = stream.side(dir === 1);
    if (side.grpc !== null) side.grpc.skip(length);
    else side.body.lost(length);
  }

  private finish(stream: H2Stream): void {
    if (!this.streams.delete(stream.id)) return;
    this.closed.add(stream.id);
    if (this.closed.size > MAX_CLOSED_REMEMBERED)
      this.closed.delete(this.closed.values().next().value as number);
    this.ctx.emit(buildEntry(stream, this.ctx, this.options.grpcDecoder));
    stream.release();
  }
}

function markDecodeResult(stream: H2Stream, result: HpackResult | null): void {
  if (result === null || result.status !== 'complete') stream.flags.add('header_block_undecodable');
  if (result?.listTruncated) stream.flags.add('header_list_truncated');
}

function isGrpc(fields: readonly HeaderField[]): boolean {
  return headerValue(fields, 'content-type')?.startsWith('application/grpc') === true;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}
