import type { FileHandle } from 'node:fs/promises';

/** Where a reader's bytes come from: a file handle or a Node stream, read into the caller's buffer. */
export interface ByteSource {
  /** Copies up to `length` bytes into `into` at `offset`; resolves to 0 at end of input. */
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
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

/** Adapts a readable stream (stdin, a socket, a PassThrough) whose chunks can have any size. */
export class StreamSource implements ByteSource {
  private readonly chunks: AsyncIterator<unknown>;
  private pending: Uint8Array | null = null;
  private pendingPos = 0;
  private done = false;

  constructor(stream: NodeJS.ReadableStream) {
    this.chunks = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    while (this.pending === null || this.pendingPos >= this.pending.length) {
      if (this.done) return 0;
      const next = await this.chunks.next();
      if (next.done) {
        this.done = true;
        return 0;
      }
      this.pending = toBytes(next.value);
      this.pendingPos = 0;
    }
    const count = Math.min(length, this.pending.length - this.pendingPos);
    into.set(this.pending.subarray(this.pendingPos, this.pendingPos + count), offset);
    this.pendingPos += count;
    return count;
  }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.pending = null;
    await this.chunks.return?.();
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  return Buffer.from(String(chunk), 'latin1');
}
