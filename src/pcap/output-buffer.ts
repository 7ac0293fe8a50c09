import { captureError, CAPTURE_ERROR_CODES as E } from './codes.js';
import { IO_CHUNK_BYTES } from './limits.js';
import type { CaptureFileError } from '../util/errors.js';

/** What the encoders write into: they reserve() room, then fill `bytes` from `used` on and advance it. */
export interface CaptureOutput {
  bytes: Uint8Array;
  view: DataView;
  used: number;
  /** Makes room for `count` more bytes at `used`. */
  reserve(count: number): void;
  /** Called after each vector: passes buffered bytes on as the destination needs, and reports write errors. */
  flush(): Promise<void>;
  /** Writes everything left and releases the destination. */
  close(): Promise<void>;
}

/** Buffers kept for reuse: enough for the writes a drained file stream has in flight. */
const SPARE_BUFFERS = 2;

/**
 * Collects encoded bytes in ~1 MiB buffers. Each hand-off (a full buffer, or flush() once a
 * vector is encoded) writes the bytes gathered since the last one as a view into the buffer,
 * without copying, and encoding goes on after them in the same buffer: a handed-off range is
 * never written again. A full buffer is replaced. For a file stream we created, the
 * replacement is an earlier buffer whose writes have all completed (the file has those
 * bytes): fresh memory costs a page fault per 4 KiB, on a VM a large part of what writing a
 * capture costs. A caller's stream may keep its chunks after their write callbacks (a
 * PassThrough does), so its buffers are never reused. flush() waits for the stream to
 * drain: that is how the synchronous write() path gets backpressure.
 */
export class OutputBuffer implements CaptureOutput {
  bytes: Uint8Array = new Uint8Array(IO_CHUNK_BYTES);
  view: DataView = new DataView(this.bytes.buffer);
  used = 0;
  /** Where the bytes not yet handed to the stream start. */
  private start = 0;
  private error: CaptureFileError | null = null;
  private opened: boolean;
  private needsDrain = false;
  /** Writes still in flight per buffer; a replaced buffer with none left is free for reuse. */
  private readonly inFlight = new Map<Uint8Array, number>();
  private readonly free: Uint8Array[] = [];

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly ownsStream: boolean,
  ) {
    // A stream we created is a file stream: an error before 'open' means the path could not be opened.
    this.opened = !ownsStream;
    stream.once('open', () => (this.opened = true));
    stream.on('error', (err: Error) => {
      const code = this.opened ? E.CAPTURE_IO_ERROR : E.CAPTURE_OPEN_FAILED;
      this.error ??= captureError(code, `write failed: ${err.message}`, 0);
    });
  }

  /** Passes what is gathered on and takes a new buffer when `count` more bytes do not fit. */
  reserve(count: number): void {
    if (this.used + count <= this.bytes.length) return;
    this.handOff();
    this.replace(count);
  }

  async flush(): Promise<void> {
    this.handOff();
    // 'drain' may already have fired between the write and now; the stream knows whether it still needs one.
    const stillFull = (this.stream as { writableNeedDrain?: boolean }).writableNeedDrain ?? this.needsDrain;
    if (this.needsDrain && stillFull && this.error === null) await this.drained();
    this.needsDrain = false;
    if (this.error) throw this.error;
  }

  async close(): Promise<void> {
    await this.flush();
    if (!this.ownsStream) return;
    await new Promise<void>((resolve) => {
      this.stream.once('error', () => resolve());
      this.stream.end(() => resolve());
    });
    if (this.error) throw this.error;
  }

  private handOff(): void {
    if (this.used === this.start) return;
    const chunk = this.bytes.subarray(this.start, this.used);
    this.start = this.used;
    if (this.error) return;
    let done: (() => void) | undefined;
    if (this.ownsStream) {
      const bytes = this.bytes;
      this.inFlight.set(bytes, (this.inFlight.get(bytes) ?? 0) + 1);
      done = () => this.written(bytes);
    }
    if (!this.stream.write(chunk, done)) this.needsDrain = true;
  }

  /** Moves encoding to a buffer with room for `count` bytes: a free one of ours, else a new one. */
  private replace(count: number): void {
    const old = this.bytes;
    const reused = count <= IO_CHUNK_BYTES ? this.free.pop() : undefined;
    this.bytes = reused ?? new Uint8Array(Math.max(count, IO_CHUNK_BYTES));
    this.view = new DataView(this.bytes.buffer);
    this.used = 0;
    this.start = 0;
    if (this.ownsStream && old.length === IO_CHUNK_BYTES && !this.inFlight.has(old)) this.keep(old);
  }

  private written(bytes: Uint8Array): void {
    const left = (this.inFlight.get(bytes) ?? 1) - 1;
    if (left > 0) {
      this.inFlight.set(bytes, left);
      return;
    }
    this.inFlight.delete(bytes);
    // The buffer still being filled is not free, whatever its earlier writes did.
    if (bytes !== this.bytes && bytes.length === IO_CHUNK_BYTES) this.keep(bytes);
  }

  private keep(bytes: Uint8Array): void {
    if (this.free.length < SPARE_BUFFERS) this.free.push(bytes);
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.needsDrain = false;
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
    });
  }
}
