import { closeSync, openSync, writeSync } from 'node:fs';
import type { CaptureFileError } from '../util/errors.js';
import { captureError, CAPTURE_ERROR_CODES as E } from './codes.js';
import { IO_CHUNK_BYTES } from './limits.js';
import type { CaptureOutput } from './output-buffer.js';

/**
 * Output to a file path for a command-line run: one reusable buffer, written out with a
 * blocking write whenever it fills and at close. A batch run has nothing else to do while
 * its output is written; an asynchronous write per vector cost a thread-pool round trip and
 * two wake-up syscalls each (`read -w` of the 1.1 GB benchmark capture made 6,518 writes and
 * 37,158 futex calls, and spent more time in the write call than in the encoding). Servers and
 * live sources keep OutputBuffer. Errors are kept and reported by flush() and close(), as
 * OutputBuffer reports its stream's.
 */
export class BlockingFileOutput implements CaptureOutput {
  bytes: Uint8Array = new Uint8Array(IO_CHUNK_BYTES);
  view: DataView = new DataView(this.bytes.buffer);
  used = 0;
  private fd = -1;
  private error: CaptureFileError | null = null;

  constructor(path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      this.error = captureError(E.CAPTURE_OPEN_FAILED, `cannot open ${path}: ${(err as Error).message}`, 0);
    }
  }

  reserve(count: number): void {
    if (this.used + count <= this.bytes.length) return;
    this.writeOut();
    if (count > this.bytes.length) {
      this.bytes = new Uint8Array(count);
      this.view = new DataView(this.bytes.buffer);
    }
  }

  /** A vector's end is not a reason to write: the buffer goes out when it is full. */
  flush(): Promise<void> {
    return this.error ? Promise.reject(this.error) : Promise.resolve();
  }

  close(): Promise<void> {
    this.writeOut();
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch (err) {
        this.fail(err);
      }
      this.fd = -1;
    }
    return this.flush();
  }

  /** Writes the buffered bytes (all of them: writeSync may take a part) and empties the buffer. */
  private writeOut(): void {
    let at = 0;
    while (at < this.used && this.error === null) {
      try {
        const written = writeSync(this.fd, this.bytes, at, this.used - at);
        if (written === 0) throw new Error('no bytes written');
        at += written;
      } catch (err) {
        this.fail(err);
      }
    }
    this.used = 0;
  }

  private fail(err: unknown): void {
    this.error ??= captureError(E.CAPTURE_IO_ERROR, `write failed: ${(err as Error).message}`, 0);
  }
}
