import { captureError, CAPTURE_ERROR_CODES as E } from './codes.js';
import { IO_CHUNK_BYTES } from './limits.js';
import type { CaptureFileError } from '../util/errors.js';

/**
 * Collects encoded bytes in ~1 MiB buffers and hands each full one to the destination
 * stream in a single write. A handed-off buffer belongs to the stream, so a fresh one is
 * allocated after it. flush() waits for the stream to drain: that is how the
 * synchronous write() path gets backpressure.
 */
export class OutputBuffer {
  bytes: Uint8Array = new Uint8Array(IO_CHUNK_BYTES);
  view: DataView = new DataView(this.bytes.buffer);
  used = 0;
  private error: CaptureFileError | null = null;
  private opened: boolean;
  private needsDrain = false;

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

  /** Makes room for `count` more bytes at `used`, passing the full buffer on first. */
  reserve(count: number): void {
    if (this.used + count <= this.bytes.length) return;
    this.handOff();
    if (count > this.bytes.length) {
      this.bytes = new Uint8Array(count);
      this.view = new DataView(this.bytes.buffer);
    }
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
    if (this.used === 0) return;
    // A nearly full buffer is given away whole; a small flush is copied so the 1 MiB buffer
    // is not replaced on every flush() (callers flush once per batch).
    const full =
      this.used >= this.bytes.length / 2 ? this.bytes.subarray(0, this.used) : this.bytes.slice(0, this.used);
    if (full.buffer === this.bytes.buffer) {
      this.bytes = new Uint8Array(IO_CHUNK_BYTES);
      this.view = new DataView(this.bytes.buffer);
    }
    this.used = 0;
    if (this.error) return;
    if (!this.stream.write(full)) this.needsDrain = true;
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
