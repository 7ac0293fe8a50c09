import type { ByteMeter } from '../types.js';
import { joinPieces } from '../util/bytes.js';
import { CLIENT_PREFACE, Flag, FRAME_HEADER_LENGTH, FrameType } from './constants.js';

/** A frame's 9-byte header (RFC 7540 §4.1), reused: copy what you keep. */
export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
  /** Capture time of the chunk holding the frame's first byte. */
  tsUs: number;
}

/** Where a FrameReader hands what it parsed. Views are valid only during the call. */
export interface FrameSink {
  /** A complete non-DATA frame whose payload fit the buffer limit. */
  frame(header: FrameHeader, payload: Uint8Array): void;
  /** A frame too large to buffer; its payload is skipped. */
  oversized(header: FrameHeader): void;
  /** Payload bytes of a DATA frame, padding removed, in pieces as they arrive. */
  data(header: FrameHeader, bytes: Uint8Array, tsUs: number): void;
  /** The DATA frame is complete (END_STREAM is in header.flags). */
  dataEnd(header: FrameHeader, tsUs: number): void;
  anomaly(name: string): void;
}

const enum State {
  Preface,
  Header,
  Payload,
  DataPadLength,
  DataBody,
  Skip,
  Lost,
}

/**
 * A resumable parser of one direction's frame sequence. DATA payloads are streamed so a
 * 16 MiB frame never sits in memory; other frames are buffered up to `maxBuffered(type)`,
 * as their bytes arrive (a frame header alone never reserves its declared length), and
 * declared to the stream's meter while they wait for the rest.
 */
export class FrameReader {
  private state: State;
  private readonly header: FrameHeader = { length: 0, type: 0, flags: 0, streamId: 0, tsUs: 0 };
  private readonly headerBytes = new Uint8Array(FRAME_HEADER_LENGTH);
  private have = 0;
  /** Copies of a split payload's pieces; `have` bytes in all. */
  private pieces: Uint8Array[] = [];
  /** Payload bytes of the current frame still to come (all states but Header/Preface). */
  private remaining = 0;
  /** Of `remaining`, the trailing padding of a DATA frame. */
  private padding = 0;

  constructor(
    private readonly sink: FrameSink,
    expectPreface: boolean,
    private readonly maxBuffered: (type: number) => number,
    private readonly meter: ByteMeter,
  ) {
    this.state = expectPreface ? State.Preface : State.Header;
  }

  /** True once the client preface was matched in full. */
  prefaceSeen = false;

  /** Stream of the frame being read (meaningful while inPayload). */
  get streamId(): number {
    return this.header.streamId;
  }

  get lost(): boolean {
    return this.state === State.Lost;
  }

  /** True between frames: a gap here loses the frame boundary for sure. */
  get inPayload(): boolean {
    return this.state !== State.Header && this.state !== State.Preface && this.state !== State.Lost;
  }

  push(bytes: Uint8Array, tsUs: number): void {
    let pos = 0;
    while (pos < bytes.length && this.state !== State.Lost) pos = this.step(bytes, pos, tsUs);
  }

  /**
   * `length` bytes were not captured. Inside a frame payload whose extent is known we stay in
   * step and return true; otherwise the frame boundary is lost and the direction is abandoned.
   */
  skip(length: number): boolean {
    if (this.inPayload && length <= this.remaining - this.padding && this.state === State.DataBody) {
      this.remaining -= length;
      return true;
    }
    if (this.state === State.Skip && length <= this.remaining) {
      this.remaining -= length;
      return true;
    }
    this.dropPartial();
    this.state = State.Lost;
    return false;
  }

  /** Forgets a payload still waiting for its end (the direction is lost, or the stream ended). */
  dropPartial(): void {
    if (this.state !== State.Payload || this.have === 0) return;
    this.meter.hold(-this.have);
    this.pieces = [];
    this.have = 0;
  }

  private step(bytes: Uint8Array, pos: number, tsUs: number): number {
    switch (this.state) {
      case State.Preface:
        return this.preface(bytes, pos);
      case State.Header:
        return this.frameHeader(bytes, pos, tsUs);
      case State.Payload:
        return this.payload(bytes, pos);
      case State.DataPadLength:
        return this.dataPadLength(bytes, pos);
      case State.DataBody:
        return this.dataBody(bytes, pos, tsUs);
      default:
        return this.skipPayload(bytes, pos, tsUs);
    }
  }

  private preface(bytes: Uint8Array, pos: number): number {
    // A capture that starts after the preface begins with a frame header: read frames directly.
    if (this.have === 0 && bytes[pos] !== CLIENT_PREFACE[0]) {
      this.state = State.Header;
      return pos;
    }
    while (pos < bytes.length && this.have < CLIENT_PREFACE.length) {
      if (bytes[pos] !== CLIENT_PREFACE[this.have]) {
        this.sink.anomaly('http2.bad_preface');
        this.state = State.Lost;
        return bytes.length;
      }
      pos++;
      this.have++;
    }
    if (this.have === CLIENT_PREFACE.length) {
      this.prefaceSeen = true;
      this.have = 0;
      this.state = State.Header;
    }
    return pos;
  }

  private frameHeader(bytes: Uint8Array, pos: number, tsUs: number): number {
    if (this.have === 0) this.header.tsUs = tsUs;
    const take = Math.min(FRAME_HEADER_LENGTH - this.have, bytes.length - pos);
    this.headerBytes.set(bytes.subarray(pos, pos + take), this.have);
    this.have += take;
    if (this.have < FRAME_HEADER_LENGTH) return pos + take;
    this.have = 0;
    const h = this.headerBytes;
    const header = this.header;
    header.length = (h[0] << 16) | (h[1] << 8) | h[2];
    header.type = h[3];
    header.flags = h[4];
    header.streamId = ((h[5] & 0x7f) << 24) | (h[6] << 16) | (h[7] << 8) | h[8];
    this.beginPayload(header);
    return pos + take;
  }

  private beginPayload(header: FrameHeader): void {
    this.remaining = header.length;
    this.padding = 0;
    if (header.type === FrameType.DATA) {
      const padded = (header.flags & Flag.PADDED) !== 0 && this.remaining > 0;
      if (header.flags & Flag.PADDED && !padded) this.sink.anomaly('http2.bad_padding');
      this.state = padded ? State.DataPadLength : State.DataBody;
      if (!padded && this.remaining === 0) this.finishData(header.tsUs);
      return;
    }
    if (header.length > this.maxBuffered(header.type)) {
      this.sink.oversized(header);
      this.state = State.Skip;
      if (this.remaining === 0) this.state = State.Header;
      return;
    }
    this.state = State.Payload;
    if (header.length === 0) this.deliver(new Uint8Array(0));
  }

  private payload(bytes: Uint8Array, pos: number): number {
    const length = this.header.length;
    // Zero-copy when the whole payload is in this chunk.
    if (this.have === 0 && bytes.length - pos >= length) {
      this.deliver(bytes.subarray(pos, pos + length));
      return pos + length;
    }
    const take = Math.min(length - this.have, bytes.length - pos);
    this.pieces.push(bytes.slice(pos, pos + take));
    this.have += take;
    this.meter.hold(take);
    if (this.have === length) {
      const payload = joinPieces(this.pieces, length);
      this.meter.hold(-length);
      this.pieces = [];
      this.have = 0;
      this.deliver(payload);
    }
    return pos + take;
  }

  private deliver(payload: Uint8Array): void {
    this.state = State.Header;
    this.sink.frame(this.header, payload);
  }

  private dataPadLength(bytes: Uint8Array, pos: number): number {
    const pad = bytes[pos];
    this.remaining -= 1;
    if (pad > this.remaining) {
      this.sink.anomaly('http2.bad_padding');
      this.padding = this.remaining;
    } else {
      this.padding = pad;
    }
    this.state = State.DataBody;
    if (this.remaining === 0) this.finishData(this.header.tsUs);
    return pos + 1;
  }

  private dataBody(bytes: Uint8Array, pos: number, tsUs: number): number {
    const body = this.remaining - this.padding;
    const take = Math.min(body, bytes.length - pos);
    if (take > 0) {
      this.remaining -= take;
      this.sink.data(this.header, bytes.subarray(pos, pos + take), tsUs);
    }
    if (this.remaining === this.padding) {
      // Padding is skipped like an oversized payload, then the frame ends.
      this.state = State.Skip;
      if (this.remaining === 0) this.finishData(tsUs);
    }
    return pos + take;
  }

  private skipPayload(bytes: Uint8Array, pos: number, tsUs: number): number {
    const take = Math.min(this.remaining, bytes.length - pos);
    this.remaining -= take;
    if (this.remaining === 0) {
      if (this.header.type === FrameType.DATA) this.finishData(tsUs);
      else this.state = State.Header;
    }
    return pos + take;
  }

  private finishData(tsUs: number): void {
    this.state = State.Header;
    this.sink.dataEnd(this.header, tsUs);
  }
}
