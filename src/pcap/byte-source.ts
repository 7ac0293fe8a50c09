import { closeSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Where a reader's bytes come from: a file handle or a Node stream, read into the caller's buffer. */
export interface ByteSource {
  /** Copies up to `length` bytes into `into` at `offset`; resolves to 0 at end of input. */
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
  /** Copies bytes that are already at hand without waiting (a stream's buffered chunks); 0 if none. */
  readBuffered?(into: Uint8Array, offset: number, length: number): number;
  close(): Promise<void>;
}

/** Reads a file with positional-free fs reads straight into the reader's reusable window. */
export class FileSource implements ByteSource {
  private closed = false;

  constructor(private readonly handle: FileHandle) {}

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    const { bytesRead } = await this.handle.read(into, offset, length, null);
    return bytesRead;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/**
 * Reads a file with blocking reads on the calling thread. A command-line run has nothing
 * else for its event loop to do while it waits for the next chunk, and a read from the page
 * cache costs less CPU than the thread-pool round trip of an asynchronous one. Servers keep
 * FileSource: a blocking read would stall every request they serve.
 */
export class BlockingFileSource implements ByteSource {
  private closed = false;

  constructor(private readonly fd: number) {}

  read(into: Uint8Array, offset: number, length: number): Promise<number> {
    try {
      return Promise.resolve(readSync(this.fd, into, offset, length, null));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      closeSync(this.fd);
    }
    return Promise.resolve();
  }
}

/**
 * Adapts a readable stream (stdin, a pipe from tcpdump, a PassThrough) whose chunks can have
 * any size. It reads in paused mode so that `readBuffered` can hand over everything that has
 * already arrived without waiting: a live capture that falls behind then gets one large vector
 * instead of one vector per packet (tcpdump -U writes each packet on its own), which is what
 * keeps per-vector costs from capping the packet rate.
 */
export class StreamSource implements ByteSource {
  private pending: Uint8Array | null = null;
  private pendingPos = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly notify = (): void => {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (err: Error): void => {
    this.failure = err;
    this.notify();
  };

  constructor(private readonly stream: NodeJS.ReadableStream) {
    stream.on('readable', this.notify);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    for (;;) {
      const count = this.readBuffered(into, offset, length);
      if (count > 0) return count;
      if (this.failure !== null) throw this.failure;
      if (this.ended) return 0;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Copies what has already arrived, up to `length` bytes, without waiting; 0 when nothing has. */
  readBuffered(into: Uint8Array, offset: number, length: number): number {
    let copied = 0;
    while (copied < length && !this.ended) {
      if (this.pending === null || this.pendingPos >= this.pending.length) {
        const chunk: unknown = this.stream.read();
        if (chunk === null) break;
        this.pending = toBytes(chunk);
        this.pendingPos = 0;
      }
      const count = Math.min(length - copied, this.pending.length - this.pendingPos);
      into.set(this.pending.subarray(this.pendingPos, this.pendingPos + count), offset + copied);
      this.pendingPos += count;
      copied += count;
    }
    return copied;
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.pending = null;
    this.stream.removeListener('readable', this.notify);
    this.stream.removeListener('end', this.onEnd);
    this.stream.removeListener('error', this.onError);
    // Stop the producer as the async iterator used to (stdin, a pipe): nothing more will be read.
    (this.stream as { destroy?: () => void }).destroy?.();
    this.notify();
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  return Buffer.from(String(chunk), 'latin1');
}
